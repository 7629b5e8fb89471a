// MCP tool calls over Streamable HTTP, end to end with the SDK's client: the same node:http server
// with no event store (not resumable), with the SDK's in-memory example store, with SseMcpEventStore
// in memory and on Redis. Each server runs in its own process; the clients run here. Reported as
// calls per second and as a ratio to the SDK's store, measured in the same run.
//
//   npm run bench:mcp [-- --clients 20 --calls 50 --steps 20 --runs 3]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { redisServerAvailable, startRedis } from './redis.mjs';
import { boundedRun, call } from './ipc.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '20' },
    calls: { type: 'string', default: '50' },
    steps: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const [CLIENTS, CALLS, STEPS, RUNS] = [args.clients, args.calls, args.steps, args.runs].map(Number);
const children = boundedRun(15);
const serverFile = fileURLToPath(new URL('./servers/mcp-server.mjs', import.meta.url));

async function startServer(kind, redisUrl) {
  const child = fork(serverFile, [kind, redisUrl ?? ''], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const { port } = await call(child, undefined, 'ready');
  return { url: `http://127.0.0.1:${port}/mcp`, stop: () => child.kill() };
}

/** One client: a session, CALLS calls of the tool one after another (each with STEPS progress notifications), then the end of the session. */
async function clientRun(url, latencies) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  let notes = 0;
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    await client.callTool({ name: 'count', arguments: { steps: STEPS } }, undefined, { onprogress: () => notes++ });
    latencies.push(performance.now() - start);
  }
  await transport.terminateSession();
  await client.close();
  if (notes !== CALLS * STEPS) throw new Error(`a client got ${notes} notifications, not ${CALLS * STEPS}`);
}

async function measure(url) {
  const latencies = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, () => clientRun(url, latencies)));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { callsPerSecond: (CLIENTS * CALLS) / seconds, p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const redis = redisServerAvailable() ? await startRedis() : undefined;
const kinds = [
  ['no event store (not resumable)', 'none'],
  ["the SDK's in-memory example store", 'sdk'],
  ['SseMcpEventStore, in memory', 'channels'],
  ...(redis ? [['SseMcpEventStore, on Redis', 'redis']] : []),
];
const results = new Map(kinds.map(([name]) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  // (Each run takes the servers in turn, so that the machine's drift spreads over all of them.)
  for (const [name, kind] of kinds) {
    const server = await startServer(kind, redis?.url);
    await measure(server.url); // warm-up
    results.get(name).push(await measure(server.url));
    server.stop();
  }
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const baseline = median(results.get("the SDK's in-memory example store").map((r) => r.callsPerSecond));
console.log(`\n${CLIENTS} clients × ${CALLS} calls × ${STEPS} progress notifications + the result; median of ${RUNS} runs\n`);
console.log('| event store | calls/s | vs the SDK\'s store | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, list] of results) {
  const cps = median(list.map((r) => r.callsPerSecond));
  console.log(`| ${name} | ${Math.round(cps)} | ${(cps / baseline).toFixed(2)}× | ${median(list.map((r) => r.p50)).toFixed(1)} | ${median(list.map((r) => r.p99)).toFixed(1)} |`);
}
redis?.stop();
process.exit(0);
