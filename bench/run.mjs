// The benchmark: our library (Express and Fastify) against Nest's own @Sse()
// with a shared Subject and a raw node:http baseline that pre-encodes and
// coalesces — each server in its own process, driven by the same load client
// in another. The two-instance run puts two app processes on one redis-server
// (started here, on a free loopback port): the clients are spread over both,
// instance A publishes everything, and it is compared with one instance in
// memory. Loopback only; it stops by itself.
//
//   npm run bench [-- --clients 1000 --events 1000 --idle 10000 --runs 3 --only fastify --cpu-prof]
//   npm run bench -- --only Redis       # the two-instance runs and what they are compared with
//   npm run bench -- --only tokens      # only the per-client table (tokens.mjs; also npm run bench:tokens)
//   npm run bench -- --only channels    # only the many-channels-per-stream table (channels.mjs)
// --cpu-prof writes each server's CPU profile to bench/profiles/.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { redisServerAvailable, startRedis, startRedisCluster } from './redis.mjs';
import { runTokenBench } from './tokens.mjs';
import { runChannelsBench } from './channels.mjs';
import { boundedRun, call } from './ipc.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    events: { type: 'string', default: '1000' },
    idle: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    'per-tick': { type: 'string', default: '10' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
// It stops by itself: a stuck server or client ends the whole run, children too.
const children = boundedRun(30);

const CLIENTS = Number(args.clients);
const EVENTS = Number(args.events);
const IDLE = Number(args.idle);
const RUNS = Number(args.runs);
const PER_TICK = Number(args['per-tick']);

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const SERVERS = {
  'raw node (coalescing)': { script: here('servers/raw-node.mjs'), args: [], path: '/feed' },
  'plain express (coalescing)': { script: here('servers/express-plain.mjs'), args: [], path: '/feed' },
  "Nest @Sse() + Subject": { script: here('servers/nest-sse.mjs'), args: [], path: '/feed' },
  'sse-channel (express)': { script: here('servers/sse-channel.mjs'), args: ['express'], path: '/feed' },
  'sse-channel (fastify)': { script: here('servers/sse-channel.mjs'), args: ['fastify'], path: '/feed' },
  // The same with the slow-client rule on, as users run it (default limits.maxQueuedBytes 1 MiB):
  // a client that keeps reading is never dropped, and the rule costs little.
  'sse-channel (express, queue bound on)': { script: here('servers/sse-channel.mjs'), args: ['express'], path: '/feed', env: { SSE_BENCH_QUEUE_BOUND: 'default' } },
  'sse-channel (fastify, queue bound on)': { script: here('servers/sse-channel.mjs'), args: ['fastify'], path: '/feed', env: { SSE_BENCH_QUEUE_BOUND: 'default' } },
  // With an OpenTelemetry SDK registered: the library's metrics recorded.
  'sse-channel (express, metrics on)': { script: here('servers/sse-channel.mjs'), args: ['express'], path: '/feed', env: { SSE_BENCH_METRICS: '1' } },
  'sse-channel (fastify, metrics on)': { script: here('servers/sse-channel.mjs'), args: ['fastify'], path: '/feed', env: { SSE_BENCH_METRICS: '1' } },
  // Every stream identified (identities.identify: one identity per client), for the memory per client.
  'sse-channel (fastify, identities)': { script: here('servers/sse-channel.mjs'), args: ['fastify'], path: '/feed', env: { SSE_BENCH_IDENTIFY: '1' } },
  // instances: app processes sharing the channels on Redis; memory: the
  // one-instance, in-memory row it is compared with.
  'sse-channel on Redis (2 × express)': {
    script: here('servers/sse-channel.mjs'),
    args: ['express'],
    path: '/feed',
    instances: 2,
    memory: 'sse-channel (express)',
  },
  'sse-channel on Redis (2 × fastify)': {
    script: here('servers/sse-channel.mjs'),
    args: ['fastify'],
    path: '/feed',
    instances: 2,
    memory: 'sse-channel (fastify)',
  },
  // The same on a Redis Cluster of 3 masters (the channel on one of them: sharded Pub/Sub, hash-tagged keys).
  'sse-channel on Redis Cluster (2 × express)': {
    script: here('servers/sse-channel.mjs'),
    args: ['express'],
    path: '/feed',
    instances: 2,
    memory: 'sse-channel (express)',
    cluster: true,
  },
};
const onRedis = (name) => SERVERS[name].instances !== undefined;
// --only tokens / --only channels: that table alone.
const TABLES = ['tokens', 'channels'];
let names = Object.keys(SERVERS).filter((name) => !args.only || (!TABLES.includes(args.only) && name.includes(args.only)));
if (args.only && names.some(onRedis)) {
  // A Redis row means little without the in-memory row it is compared with.
  names = [...new Set([...names.filter((name) => !onRedis(name)), ...names.filter(onRedis).map((name) => SERVERS[name].memory), ...names.filter(onRedis)])];
}
// A metrics row is compared with the same server without metrics.
const withoutMetrics = (name) => name.replace(', metrics on', '');
if (args.only && names.some((name) => name !== withoutMetrics(name))) {
  names = [...new Set(names.flatMap((name) => [withoutMetrics(name), name]))];
}
let redis;
let redisCluster;
if (names.some(onRedis)) {
  if (redisServerAvailable()) {
    redis = await startRedis();
    if (names.some((name) => SERVERS[name].cluster)) redisCluster = await startRedisCluster();
  } else {
    console.error('\n*** redis-server not found: the two-instance runs on Redis are left out (apt-get install -y redis-server) ***\n');
    names = names.filter((name) => !onRedis(name));
  }
}

async function startOne(script, serverArgs, env = {}) {
  const execArgv = ['--expose-gc', ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : [])];
  const child = fork(script, serverArgs, { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const { port } = await call(child, undefined, 'ready');
  return { child, port };
}

/** The server's processes: one, or every instance of a Redis row (the first publishes). */
async function startServers(name) {
  const { script, args: serverArgs, instances, env } = SERVERS[name];
  if (instances === undefined) {
    return [await startOne(script, serverArgs, env)];
  }
  const url = SERVERS[name].cluster ? redisCluster.url : redis.url;
  return Promise.all(Array.from({ length: instances }, () => startOne(script, [...serverArgs, url])));
}

async function startClient() {
  const child = fork(here('load-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  await call(child, undefined, 'ready');
  return child;
}

async function stop(child) {
  children.delete(child);
  child.kill();
  if (child.exitCode === null) await once(child, 'exit');
}

async function throughput(name) {
  const servers = await startServers(name);
  const client = await startClient();
  try {
    const ports = servers.map((server) => server.port);
    await call(client, { cmd: 'connect', ports, path: SERVERS[name].path, count: CLIENTS }, 'connected');
    const total = CLIENTS * EVENTS;
    const result = call(client, { cmd: 'expect', total, timeoutMs: 120_000 }, 'result');
    const started = performance.timeOrigin + performance.now();
    await call(servers[0].child, { cmd: 'publish', count: EVENTS, perTick: PER_TICK }, 'published');
    const r = await result;
    return { deliveriesPerSec: r.received / ((r.lastAt - started) / 1000), complete: r.received === total, p50: r.p50, p99: r.p99 };
  } finally {
    await stop(client);
    await Promise.all(servers.map((server) => stop(server.child)));
  }
}

/** RSS per idle client, summed over the server's processes. */
async function idleMemory(name) {
  const servers = await startServers(name);
  const client = await startClient();
  const rss = async () => {
    const replies = await Promise.all(servers.map((server) => call(server.child, { cmd: 'memory' }, 'memory')));
    return replies.reduce((sum, reply) => sum + reply.rss, 0);
  };
  try {
    const before = await rss();
    const ports = servers.map((server) => server.port);
    await call(client, { cmd: 'connect', ports, path: SERVERS[name].path, count: IDLE }, 'connected');
    await new Promise((resolve) => setTimeout(resolve, 500));
    return ((await rss()) - before) / IDLE;
  } finally {
    await stop(client);
    await Promise.all(servers.map((server) => stop(server.child)));
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const results = Object.fromEntries(names.map((name) => [name, { rate: [], p50: [], p99: [], rss: [], incomplete: 0 }]));
for (let run = 0; run < RUNS; run++) {
  // Alternate the order so that machine noise hits every server alike.
  const order = run % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const t = await throughput(name);
    const r = results[name];
    r.rate.push(t.deliveriesPerSec);
    r.p50.push(t.p50);
    r.p99.push(t.p99);
    if (!t.complete) r.incomplete++;
    if (IDLE > 0) r.rss.push(await idleMemory(name));
    console.error(`run ${run + 1}/${RUNS} ${name}: ${Math.round(t.deliveriesPerSec)} deliveries/s, p50 ${t.p50.toFixed(1)} ms${t.complete ? '' : ' (INCOMPLETE)'}`);
  }
}

const row = (name) => {
  const r = results[name];
  return { name, rate: median(r.rate), p50: median(r.p50), p99: median(r.p99), rss: r.rss.length ? median(r.rss) : NaN, incomplete: r.incomplete };
};
const rows = names.map(row);
const raw = rows.find((r) => r.name.startsWith('raw'));
const nest = rows.find((r) => r.name.startsWith('Nest'));
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

console.log(`\nnestjs-sse-channel bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
if (rows.length) {
  console.log(`${CLIENTS} clients × ${EVENTS} events (~130 B JSON, ${PER_TICK} per event-loop turn); RSS at ${IDLE} idle clients; medians of ${RUNS} runs\n`);
  console.log('| server | deliveries/s | p50 ms | p99 ms | RSS/idle client | vs raw (rate) | vs Nest @Sse (rate) | p50 vs raw | RSS vs raw |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
}
for (const r of rows) {
  console.log(
    `| ${r.name}${r.incomplete ? ` (${r.incomplete} incomplete)` : ''} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.rss / 1024, 1)} KB | ${raw ? fmt(r.rate / raw.rate, 2) : 'n/a'} | ${nest ? fmt(r.rate / nest.rate, 1) : 'n/a'} | ${raw ? fmt(r.p50 / raw.p50, 2) : 'n/a'} | ${raw ? fmt(r.rss / raw.rss, 2) : 'n/a'} |`,
  );
}
const ours = rows.filter((r) => r.name.startsWith('sse-channel') && !onRedis(r.name));
if (raw && nest && ours.length) {
  console.log('\ntargets: rate ≥ 0.7 × raw and ≥ 10 × Nest @Sse(); p50 ≤ 2 × raw; RSS/idle client ≤ 1.3 × raw');
  for (const r of ours) {
    const checks = [
      ['rate vs raw ≥ 0.7', r.rate / raw.rate >= 0.7],
      ['rate vs Nest ≥ 10', r.rate / nest.rate >= 10],
      ['p50 vs raw ≤ 2', r.p50 / raw.p50 <= 2],
      ['RSS vs raw ≤ 1.3', !(r.rss / raw.rss > 1.3)],
    ];
    console.log(`${r.name}: ${checks.map(([label, ok]) => `${label} ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
  }
  const express = rows.find((r) => r.name.startsWith('plain express'));
  const oursOnExpress = ours.find((r) => r.name.includes('express'));
  if (express && oursOnExpress) {
    console.log(
      `sse-channel (express) vs plain Express doing the same: rate ${fmt(oursOnExpress.rate / express.rate, 2)}×, RSS/idle client ${fmt(oursOnExpress.rss / express.rss, 2)}× (Express itself costs ${fmt(express.rss / raw.rss, 2)}× raw node per connection)`,
    );
  }
}
const shared = rows.filter((r) => onRedis(r.name));
if (shared.length) {
  console.log('\ntwo instances on Redis (clients split between them, all published on one) vs one instance in memory; target rate ≥ 0.5×');
  for (const r of shared) {
    const memory = rows.find((m) => m.name === SERVERS[r.name].memory);
    const ratio = memory ? r.rate / memory.rate : NaN;
    console.log(
      `${r.name}: rate ${fmt(ratio, 2)}× ${SERVERS[r.name].memory} (${Number.isFinite(ratio) ? (ratio >= 0.5 ? 'met' : 'NOT met') : 'n/a'}), p50 ${fmt(r.p50, 1)} ms vs ${fmt(memory?.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms vs ${fmt(memory?.p99, 1)} ms`,
    );
  }
}
const metered = rows.filter((r) => r.name !== withoutMetrics(r.name));
if (metered.length) {
  console.log('\nmetrics on (an OpenTelemetry SDK registered) vs off, same run');
  for (const r of metered) {
    const off = rows.find((m) => m.name === withoutMetrics(r.name));
    console.log(`${r.name}: rate ${fmt(r.rate / off?.rate, 2)}×, p50 ${fmt(r.p50, 1)} ms vs ${fmt(off?.p50, 1)} ms, RSS/idle client ${fmt(r.rss / off?.rss, 2)}×`);
  }
}
redis?.stop();
redisCluster?.stop();

// The second table: one Observable per client (LLM tokens, job logs).
if (!args.only || args.only === 'tokens') {
  await runTokenBench({ clients: 1000, tokens: 200, interval: 10, runs: RUNS, cpuProf: args['cpu-prof'] }, children);
}
// The third table: streams that carry many channels (@SseChannels()) vs one.
if (!args.only || args.only === 'channels') {
  await runChannelsBench(
    { clients: CLIENTS, events: EVENTS, idle: IDLE, channels: 10, runs: RUNS, perTick: PER_TICK, unwatchedMs: 300, unwatchedWindows: 5, cpuProf: args['cpu-prof'] },
    children,
  );
}
process.exit(0);
