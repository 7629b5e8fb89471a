// Streams that carry many channels (@SseChannels(), issue 21) against streams of
// one channel (@SseChannel()), same run, same load client, each server in its
// own process:
// - broadcast: N clients, each on one stream carrying the same 10 channels
//   (feed/0 … feed/9), M events published round-robin on them — every event
//   reaches every client — vs N clients on one @SseChannel() route; deliveries/s;
// - RSS per idle client at IDLE open streams, 10 channels each vs one (each in
//   its own process, as the broadcast);
// - publish() calls/s to a channel no stream carries (a publish must not scan
//   the streams), in one process (sse-channels.mjs, which has both routes):
//   with none open, then with IDLE streams of one kind open, then of the other
//   (the order alternates between runs).
//   node bench/channels.mjs [--clients 1000 --events 1000 --idle 10000 --channels 10 --runs 3 --only fastify --cpu-prof]
//   npm run bench -- --only channels
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { boundedRun, call } from './ipc.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** The rows: per platform, one channel per stream and `channels` per stream. */
function servers(channels) {
  const rows = {};
  for (const platform of ['express', 'fastify']) {
    rows[`@SseChannel(), 1 channel/stream (${platform})`] = { platform, script: here('servers/sse-channel.mjs'), args: [platform], path: '/feed', many: false };
    rows[`@SseChannels(), ${channels} channels/stream (${platform})`] = {
      platform,
      script: here('servers/sse-channels.mjs'),
      args: [platform, String(channels)],
      path: '/feeds',
      many: true,
    };
  }
  return rows;
}

async function start(script, args, execArgv, children) {
  const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  return { child, ready: await call(child, undefined, 'ready') };
}

async function stop(child, children) {
  children.delete(child);
  child.kill();
  if (child.exitCode === null) await once(child, 'exit');
}

async function withServer(row, options, children, body) {
  const execArgv = ['--expose-gc', ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : [])];
  const server = await start(row.script, row.args, execArgv, children);
  const client = await start(here('load-client.mjs'), [], [], children);
  try {
    return await body(server.child, server.ready.port, client.child);
  } finally {
    await stop(client.child, children);
    await stop(server.child, children);
  }
}

/** Deliveries/s of a broadcast to `clients` streams (as bench/run.mjs measures it). */
function broadcast(row, options, children) {
  return withServer(row, options, children, async (server, port, client) => {
    await call(client, { cmd: 'connect', ports: [port], path: row.path, count: options.clients }, 'connected');
    const total = options.clients * options.events;
    const result = call(client, { cmd: 'expect', total, timeoutMs: 120_000 }, 'result');
    const started = performance.timeOrigin + performance.now();
    await call(server, { cmd: 'publish', count: options.events, perTick: options.perTick }, 'published');
    const r = await result;
    return { rate: r.received / ((r.lastAt - started) / 1000), complete: r.received === total, p50: r.p50, p99: r.p99 };
  });
}

const openStreams = async (server) => (await call(server, { cmd: 'clients' }, 'clients')).clients;

/** RSS per idle stream at `idle` streams (and how many were open). */
function idle(row, options, children) {
  return withServer(row, options, children, async (server, port, client) => {
    const rss = async () => (await call(server, { cmd: 'memory' }, 'memory')).rss;
    const before = await rss();
    await call(client, { cmd: 'connect', ports: [port], path: row.path, count: options.idle }, 'connected');
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { perClient: ((await rss()) - before) / options.idle, open: await openStreams(server) };
  });
}

/**
 * publish() calls/s to a channel no stream carries, in one process: with no
 * stream open, then with `idle` streams of each kind open in turn (`paths`,
 * in that order; each kind's closed before the next).
 */
function unwatched(row, paths, options, children) {
  return withServer(row, options, children, async (server, port, client) => {
    const rate = async () => {
      // Short windows, the best one counts (over all runs): publish() alone runs in a fast and a
      // slow phase (~1.5× apart, seconds long, with no stream open too); a scan of the streams
      // would slow every window.
      const { rates } = await call(server, { cmd: 'unwatched', ms: options.unwatchedMs, windows: options.unwatchedWindows, perTick: 100 }, 'unwatched');
      return Math.max(...rates);
    };
    const rates = { none: await rate() };
    for (const path of paths) {
      await call(client, { cmd: 'connect', ports: [port], path, count: options.idle }, 'connected');
      const open = await openStreams(server);
      rates[path] = { rate: await rate(), open };
      await call(client, { cmd: 'close' }, 'closed');
      const deadline = Date.now() + 10_000;
      while ((await openStreams(server)) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await call(server, { cmd: 'memory' }, 'memory'); // (a GC: the closed streams' garbage is not the next one's cost)
    }
    return rates;
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Runs the table; returns its rows. */
export async function runChannelsBench(options, children = new Set()) {
  const all = servers(options.channels);
  const names = Object.keys(all).filter((name) => !options.only || all[name].platform === options.only || name.includes(options.only));
  const results = Object.fromEntries(names.map((name) => [name, { rate: [], p50: [], p99: [], rss: [], busy: [], quiet: [], incomplete: 0, short: 0 }]));
  const platforms = [...new Set(names.map((name) => all[name].platform))];
  for (let run = 0; run < options.runs; run++) {
    // Alternate the order so that machine noise hits every server alike.
    const order = run % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const r = results[name];
      const b = await broadcast(all[name], options, children);
      r.rate.push(b.rate);
      r.p50.push(b.p50);
      r.p99.push(b.p99);
      if (!b.complete) r.incomplete++;
      const i = await idle(all[name], options, children);
      r.rss.push(i.perClient);
      if (i.open !== options.idle) r.short++;
      console.error(
        `channels run ${run + 1}/${options.runs} ${name}: ${Math.round(b.rate)} deliveries/s${b.complete ? '' : ' (INCOMPLETE)'}, ` +
          `${fmt(i.perClient / 1024, 1)} KB/idle client (${i.open} open)`,
      );
    }
    for (const platform of run % 2 === 0 ? platforms : [...platforms].reverse()) {
      const kinds = names.filter((name) => all[name].platform === platform);
      const many = kinds.find((name) => all[name].many) ?? kinds[0];
      const ordered = run % 2 === 0 ? kinds : [...kinds].reverse();
      const rates = await unwatched(all[many], ordered.map((name) => all[name].path), options, children);
      for (const name of ordered) {
        const { rate, open } = rates[all[name].path];
        results[name].busy.push(rate);
        results[name].quiet.push(rates.none);
        if (open !== options.idle) results[name].short++;
      }
      console.error(
        `channels run ${run + 1}/${options.runs} unwatched publish (${platform}, one process): ${Math.round(rates.none)}/s with no stream, ` +
          ordered.map((name) => `${Math.round(rates[all[name].path].rate)}/s with ${rates[all[name].path].open} ${all[name].many ? 'multi-channel' : 'one-channel'} streams`).join(', '),
      );
    }
  }
  const rows = names.map((name) => {
    const r = results[name];
    const best = (values) => Math.max(...values);
    return { name, ...all[name], rate: median(r.rate), p50: median(r.p50), p99: median(r.p99), rss: median(r.rss), busy: best(r.busy), quiet: best(r.quiet), incomplete: r.incomplete, short: r.short };
  });
  const k = options.idle >= 1000 ? `${options.idle / 1000}k` : String(options.idle);
  console.log(
    `\nmany channels per stream: ${options.clients} clients × ${options.events} events (~130 B JSON, ${options.perTick} per turn; ` +
      `on ${options.channels} channels round-robin, every client on all of them); RSS and publish() to an unwatched channel at ${options.idle} idle streams (publish: one process per platform holding each kind in turn, the best of ${options.unwatchedWindows} × ${options.runs} windows of ${options.unwatchedMs} ms); medians of ${options.runs} runs\n`,
  );
  console.log(`| stream | deliveries/s | p50 ms | p99 ms | RSS/idle client | unwatched publish()/s, ${k} streams open | same process, none open |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const notes = [r.incomplete ? `${r.incomplete} incomplete` : '', r.short ? `${r.short} runs short of ${options.idle} streams` : ''].filter(Boolean).join(', ');
    console.log(
      `| ${r.name}${notes ? ` (${notes})` : ''} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.rss / 1024, 1)} KB | ${fmt(r.busy)} | ${fmt(r.quiet)} |`,
    );
  }
  console.log(
    `\ntargets, ${options.channels} channels/stream vs 1 (same run): deliveries/s ≥ 0.8×; RSS/idle client ≤ 1.5×; ` +
      `publish()/s to an unwatched channel with ${k} streams open ≈ 1.0× (met at ≥ 0.9×; a scan of the streams per publish would be far below)`,
  );
  for (const many of rows.filter((r) => r.many)) {
    const one = rows.find((r) => !r.many && r.platform === many.platform);
    if (!one) continue;
    const rate = many.rate / one.rate;
    const rss = many.rss / one.rss;
    const publish = many.busy / one.busy;
    console.log(
      `${many.platform}: rate ${fmt(rate, 2)}× (${rate >= 0.8 ? 'met' : 'NOT met'}); RSS/idle client ${fmt(rss, 2)}× (${rss <= 1.5 ? 'met' : 'NOT met'}); ` +
        `unwatched publish()/s ${fmt(publish, 2)}× (${publish >= 0.9 ? 'met' : 'NOT met'}; with vs without the streams open: ${fmt(many.busy / many.quiet, 2)}× for ${options.channels} channels, ${fmt(one.busy / one.quiet, 2)}× for 1)`,
    );
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      events: { type: 'string', default: '1000' },
      idle: { type: 'string', default: '10000' },
      channels: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      'per-tick': { type: 'string', default: '10' },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const children = boundedRun(20);
  await runChannelsBench(
    {
      clients: Number(values.clients),
      events: Number(values.events),
      idle: Number(values.idle),
      channels: Number(values.channels),
      runs: Number(values.runs),
      perTick: Number(values['per-tick']),
      unwatchedMs: 300,
      unwatchedWindows: 5,
      only: values.only,
      cpuProf: values['cpu-prof'],
    },
    children,
  );
  process.exit(0);
}
