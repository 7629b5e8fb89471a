// Every core of one machine (issue 24 §4): deliveries/s of one port served by
// 1 node:cluster worker and by 2 (servers/workers-server.mjs: each worker an
// instance on one redis-server, started here), with the same clients and the
// same events, in one run, and the ratio. The clients connect to the one port
// (the primary hands each connection to a worker, round-robin); the first
// worker publishes everything, as the two-instance run of bench/run.mjs does.
// Runs alternate (1, 2, 2, 1, …) so that machine noise hits both alike.
//   npm run bench:workers [-- --clients 1000 --events 1000 --runs 3 --per-tick 10 --platform express --client-processes 1]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { boundedRun, call } from './ipc.mjs';
import { freePort, redisServerAvailable, startRedis } from './redis.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    events: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    'per-tick': { type: 'string', default: '10' },
    platform: { type: 'string', default: 'express' },
    'client-processes': { type: 'string', default: '1' },
    workers: { type: 'string', default: '1,2' },
  },
});
const CLIENTS = Number(args.clients);
const EVENTS = Number(args.events);
const RUNS = Number(args.runs);
const PER_TICK = Number(args['per-tick']);
const CLIENT_PROCESSES = Number(args['client-processes']);
const WORKER_COUNTS = args.workers.split(',').map(Number);
const children = boundedRun(20);

if (!redisServerAvailable()) {
  console.error('\n*** redis-server not found: bench:workers needs it (apt-get install -y redis-server) ***\n');
  process.exit(1);
}
const redis = await startRedis();


async function stop(child) {
  children.delete(child);
  child.kill();
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

const TICK = 1e6 / 100; // µs per clock tick of /proc/<pid>/stat (USER_HZ, 100 on Linux)
/** CPU time (µs) a child process has used so far: utime + stime from /proc; NaN elsewhere. */
function cpuOf(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK;
  } catch {
    return NaN;
  }
}

let prefixes = 0;
async function throughput(workers) {
  const server = fork(new URL('./servers/workers-server.mjs', import.meta.url), [args.platform, redis.url, String(workers), String(await freePort()), `sse-bench-workers-${prefixes++}:`], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(server);
  const clients = [];
  try {
    const { port } = await call(server, undefined, 'ready');
    for (let i = 0; i < CLIENT_PROCESSES; i++) {
      const client = fork(new URL('./load-client.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.add(client);
      clients.push(client);
      await call(client, undefined, 'ready');
    }
    const counts = clients.map((_, i) => Math.floor(CLIENTS / CLIENT_PROCESSES) + (i < CLIENTS % CLIENT_PROCESSES ? 1 : 0));
    await Promise.all(clients.map((client, i) => call(client, { cmd: 'connect', ports: [port], path: '/feed', count: counts[i] }, 'connected')));
    const { clients: held, perWorker } = await call(server, { cmd: 'clients' }, 'clients');
    if (held !== CLIENTS) throw new Error(`the workers hold ${held} streams of ${CLIENTS}`);
    const results = Promise.all(clients.map((client, i) => call(client, { cmd: 'expect', total: counts[i] * EVENTS, timeoutMs: 120_000 }, 'result')));
    const cpuBefore = { workers: (await call(server, { cmd: 'cpu' }, 'cpu')).perWorker, clients: clients.map(cpuOf) };
    const started = performance.timeOrigin + performance.now();
    await call(server, { cmd: 'publish', count: EVENTS, perTick: PER_TICK }, 'published');
    const r = await results;
    const received = r.reduce((sum, x) => sum + x.received, 0);
    const lastAt = Math.max(...r.map((x) => x.lastAt));
    const seconds = (lastAt - started) / 1000;
    // CPU used while delivering, as a share of one core (the clients' from /proc, Linux only).
    const workerMicros = (await call(server, { cmd: 'cpu' }, 'cpu')).perWorker.map((micros, i) => micros - cpuBefore.workers[i]);
    const clientMicros = clients.map((client, i) => cpuOf(client) - cpuBefore.clients[i]);
    return {
      workerCpu: workerMicros.map((micros) => micros / 1e6 / seconds),
      clientCpu: clientMicros.reduce((sum, micros) => sum + micros, 0) / 1e6 / seconds,
      serverMicrosPerDelivery: workerMicros.reduce((sum, micros) => sum + micros, 0) / received,
      rate: received / seconds,
      complete: received === CLIENTS * EVENTS,
      p50: Math.max(...r.map((x) => x.p50)),
      p99: Math.max(...r.map((x) => x.p99)),
      perWorker,
    };
  } finally {
    await Promise.all(clients.map(stop));
    await stop(server);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pct = (share) => (Number.isFinite(share) ? `${Math.round(share * 100)}%` : 'n/a');
const results = new Map(WORKER_COUNTS.map((n) => [n, { rate: [], p50: [], p99: [], split: [], workerCpu: [], clientCpu: [], perDelivery: [], incomplete: 0 }]));
for (let run = 0; run < RUNS; run++) {
  for (const workers of run % 2 === 0 ? WORKER_COUNTS : [...WORKER_COUNTS].reverse()) {
    const t = await throughput(workers);
    const r = results.get(workers);
    r.rate.push(t.rate);
    r.p50.push(t.p50);
    r.p99.push(t.p99);
    r.split.push(t.perWorker.join('/'));
    r.workerCpu.push(t.workerCpu);
    r.clientCpu.push(t.clientCpu);
    r.perDelivery.push(t.serverMicrosPerDelivery);
    if (!t.complete) r.incomplete++;
    console.error(
      `run ${run + 1}/${RUNS}, ${workers} worker(s): ${Math.round(t.rate)} deliveries/s, p50 ${t.p50.toFixed(1)} ms, streams per worker ${t.perWorker.join('/')}, CPU per worker ${t.workerCpu.map(pct).join('/')}, client ${pct(t.clientCpu)}${t.complete ? '' : ' (INCOMPLETE)'}`,
    );
  }
}
redis.stop();

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const base = median(results.get(WORKER_COUNTS[0]).rate);
console.log(`\nnestjs-sse-channel bench:workers — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${args.platform}`);
console.log(
  `${CLIENTS} clients (${CLIENT_PROCESSES} client process${CLIENT_PROCESSES === 1 ? '' : 'es'}) on one port × ${EVENTS} events (~130 B JSON, ${PER_TICK} per turn, all published by worker 1); node:cluster workers on one redis-server; medians of ${RUNS} runs\n`,
);
console.log(
  `| workers | deliveries/s | vs ${WORKER_COUNTS[0]} worker${WORKER_COUNTS[0] === 1 ? '' : 's'} | p50 ms | p99 ms | streams per worker (each run) | CPU of each worker, of a core | CPU of the client${CLIENT_PROCESSES === 1 ? '' : 's'} | workers' CPU µs per delivery |`,
);
console.log('|---:|---:|---:|---:|---:|---|---|---:|---:|');
for (const [workers, r] of results) {
  const rate = median(r.rate);
  const workerCpu = Array.from({ length: workers }, (_, i) => median(r.workerCpu.map((shares) => shares[i])));
  console.log(
    `| ${workers}${r.incomplete ? ` (${r.incomplete} incomplete)` : ''} | ${fmt(rate)} | ${fmt(rate / base, 2)}× | ${fmt(median(r.p50), 1)} | ${fmt(median(r.p99), 1)} | ${r.split.join(', ')} | ${workerCpu.map(pct).join(' / ')} | ${pct(median(r.clientCpu))} | ${fmt(median(r.perDelivery), 2)} |`,
  );
}
console.log(
  `\nReading it: a worker near 100% of a core is the bottleneck, and one more worker on a spare core adds to the rate; workers well under 100% were held back by something else (here ${os.cpus().length} cores shared by the load client, redis-server, the workers and whatever else runs). µs per delivery: the workers' CPU for one event to one client; what it grows by from 1 worker to 2 is the cost of sharing through Redis.`,
);
