// Presence under a stampede (issue 24 §3): N identified clients open streams on
// one channel at once, with presence announced (every join an event to every
// client already there) and without; the time until every client is served —
// its stream open and a last event published after all joined received — and
// the server's RSS after. Ratios in one run: target with/without ≤ 1.5×.
//   npm run build && node bench/presence.mjs [--clients 500] [--runs 3]
import { fork } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { boundedRun, call } from './ipc.mjs';

const { values: args } = parseArgs({ options: { clients: { type: 'string', default: '500' }, runs: { type: 'string', default: '3' } } });
const N = Number(args.clients);
const RUNS = Number(args.runs);
const children = boundedRun(10);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function once(platform, presence) {
  const server = fork(new URL('./servers/presence-server.mjs', import.meta.url), [platform, presence ? 'on' : 'off'], { execArgv: ['--expose-gc'] });
  children.add(server);
  const { port } = await call(server, undefined, 'ready');
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let done = 0;
  let joins = 0;
  const requests = [];
  const start = performance.now();
  let finished;
  const allDone = new Promise((resolve) => (finished = resolve));
  for (let i = 0; i < N; i++) {
    const request = http.get({ host: '127.0.0.1', port, path: '/lobby', agent, headers: { accept: 'text/event-stream', 'x-user': `u${i}` } }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        const frames = (buffer + chunk).split('\n\n');
        buffer = frames.pop();
        for (const frame of frames) {
          if (frame.startsWith('event: sse-join')) joins++;
          else if (frame.includes('data: bench-done') && ++done === N) finished(performance.now());
        }
      });
    });
    requests.push(request);
  }
  while ((await call(server, { cmd: 'clients' }, 'clients')).clients < N) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await call(server, { cmd: 'publish', data: 'bench-done' }, 'published');
  const end = await allDone;
  const { rss } = await call(server, { cmd: 'memory' }, 'memory');
  requests.forEach((request) => request.destroy());
  server.kill();
  children.delete(server);
  return { ms: end - start, rss, joins };
}

console.log(`presence stampede: ${N} identified clients opening at once on one channel; medians of ${RUNS} runs`);
console.log('| server | without presence (ms) | with presence (ms) | ratio (target ≤ 1.5×) | RSS without → with (MB) | sse-join frames received, all clients |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const platform of ['express', 'fastify']) {
  const off = [];
  const on = [];
  for (let run = 0; run < RUNS; run++) {
    off.push(await once(platform, false));
    on.push(await once(platform, true));
  }
  const [a, b] = [median(off.map((r) => r.ms)), median(on.map((r) => r.ms))];
  const mb = (rss) => (rss / 2 ** 20).toFixed(0);
  console.log(
    `| ${platform} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)}× (${b / a <= 1.5 ? 'met' : 'not met'}) | ${mb(median(off.map((r) => r.rss)))} → ${mb(median(on.map((r) => r.rss)))} | ${median(on.map((r) => r.joins))} |`,
  );
}
process.exit(0);
