// The per-client bench: N clients × M tokens, one rxjs Observable per client
// (interval → take → map), like an LLM answer token by token. Server CPU per
// delivered token (process.cpuUsage() from just before the clients connect to
// when every stream has ended) and wall time, for raw node:http + the same
// Observable, ours on Express and Fastify, and Nest's @Sse(); medians of runs,
// alternating order. Each server and the load client run in their own process.
//   npm run bench:tokens [-- --clients 1000 --tokens 200 --interval 10 --runs 3 --cpu-prof]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { boundedRun, call } from './ipc.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
export const TOKEN_SERVERS = {
  'raw node:http + rxjs': { script: here('servers/tokens-raw.mjs'), args: [] },
  'sse-channel (express)': { script: here('servers/tokens-sse-channel.mjs'), args: ['express'] },
  'sse-channel (fastify)': { script: here('servers/tokens-sse-channel.mjs'), args: ['fastify'] },
  'Nest @Sse()': { script: here('servers/tokens-nest-sse.mjs'), args: [] },
};

async function once1(name, { clients, tokens, interval, cpuProf }, children) {
  const { script, args } = TOKEN_SERVERS[name];
  const execArgv = cpuProf ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : [];
  const server = fork(script, [...args, String(tokens), String(interval)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const client = fork(here('token-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(server).add(client);
  try {
    const { port } = await call(server, undefined, 'ready');
    await call(client, undefined, 'ready');
    await call(server, { cmd: 'start' }, 'started');
    const done = await call(client, { cmd: 'run', port, path: '/tokens', count: clients }, 'done');
    const { micros } = await call(server, { cmd: 'stop' }, 'cpu');
    return { cpuPerToken: micros / done.tokens, wallMs: done.wallMs, complete: done.tokens === clients * tokens && done.ended === clients };
  } finally {
    for (const child of [server, client]) {
      children.delete(child);
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs the table; returns its rows. */
export async function runTokenBench(options, children = new Set()) {
  const names = Object.keys(TOKEN_SERVERS).filter((name) => !options.only || name.includes(options.only) || name.startsWith('raw'));
  const results = Object.fromEntries(names.map((name) => [name, { cpu: [], wall: [], incomplete: 0 }]));
  for (let run = 0; run < options.runs; run++) {
    const order = run % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const r = await once1(name, options, children);
      results[name].cpu.push(r.cpuPerToken);
      results[name].wall.push(r.wallMs);
      if (!r.complete) results[name].incomplete++;
      console.error(`tokens run ${run + 1}/${options.runs} ${name}: ${r.cpuPerToken.toFixed(1)} µs CPU/token, ${r.wallMs.toFixed(0)} ms${r.complete ? '' : ' (INCOMPLETE)'}`);
    }
  }
  const rows = names.map((name) => ({ name, cpu: median(results[name].cpu), wall: median(results[name].wall), incomplete: results[name].incomplete }));
  const raw = rows.find((r) => r.name.startsWith('raw'));
  const nest = rows.find((r) => r.name.startsWith('Nest'));
  console.log(`\nper-client streams: ${options.clients} clients × ${options.tokens} tokens (one every ${options.interval} ms per client); server CPU per delivered token; medians of ${options.runs} runs\n`);
  console.log('| server | CPU µs/token | wall ms | vs raw+rxjs (CPU) | Nest @Sse() vs it (CPU) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name}${r.incomplete ? ` (${r.incomplete} incomplete)` : ''} | ${r.cpu.toFixed(1)} | ${r.wall.toFixed(0)} | ${raw ? (r.cpu / raw.cpu).toFixed(2) : 'n/a'} | ${nest ? (nest.cpu / r.cpu).toFixed(2) : 'n/a'} |`,
    );
  }
  if (raw && nest) {
    console.log('\ntargets: CPU/token ≤ 1.2 × raw+rxjs, and Nest @Sse() ≥ 1.5 × ours');
    for (const r of rows.filter((row) => row.name.startsWith('sse-channel'))) {
      console.log(`${r.name}: ≤ 1.2 × raw ${r.cpu / raw.cpu <= 1.2 ? 'met' : 'NOT met'} (${(r.cpu / raw.cpu).toFixed(2)}); Nest ≥ 1.5 × ours ${nest.cpu / r.cpu >= 1.5 ? 'met' : 'NOT met'} (${(nest.cpu / r.cpu).toFixed(2)})`);
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      tokens: { type: 'string', default: '200' },
      interval: { type: 'string', default: '10' },
      runs: { type: 'string', default: '2' },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const children = boundedRun(20);
  await runTokenBench(
    { clients: Number(values.clients), tokens: Number(values.tokens), interval: Number(values.interval), runs: Number(values.runs), only: values.only, cpuProf: values['cpu-prof'] },
    children,
  );
  process.exit(0);
}
