// What every bench server shares: the event payload, the publish schedule and
// the IPC protocol with bench/run.mjs. A server process calls serve() with its
// port and a publish(data) function; the runner then sends:
//   { cmd: 'publish', count, perTick } → publishes `count` events, `perTick`
//                                        per event-loop turn (a publish that
//                                        returns a promise — on Redis — is
//                                        awaited before the next turn's);
//                                        replies 'published'
//   { cmd: 'memory' }                  → replies { rss } after a GC
//   { cmd: 'clients' }                 → replies { clients } (open streams)
//   { cmd: 'unwatched', ms, perTick, windows }
//                                      → publishes to a channel no stream carries, `perTick`
//                                        calls per turn, for `windows` windows of `ms` each
//                                        (after a short warm-up); replies { rates } (calls/s
//                                        of each window; servers that pass publishTo)
const PAD = 'x'.repeat(60);

/** ~130 bytes of JSON, with the publish time for latency (ms since the epoch, sub-ms). */
export function payload(seq) {
  return { t: performance.timeOrigin + performance.now(), seq, type: 'price', symbol: 'NEST', pad: PAD };
}

export function serve(port, publish, clients, publishTo) {
  process.on('message', async (message) => {
    if (message.cmd === 'publish') {
      let seq = 0;
      while (seq < message.count) {
        const pending = [];
        for (let i = 0; i < message.perTick && seq < message.count; i++) {
          const result = publish(payload(seq++));
          if (typeof result?.then === 'function') pending.push(result);
        }
        await Promise.all([...pending, new Promise((resolve) => setImmediate(resolve))]);
      }
      process.send({ cmd: 'published' });
    } else if (message.cmd === 'memory') {
      global.gc?.();
      global.gc?.();
      process.send({ cmd: 'memory', rss: process.memoryUsage().rss });
    } else if (message.cmd === 'clients') {
      process.send({ cmd: 'clients', clients: clients() });
    } else if (message.cmd === 'unwatched' && publishTo) {
      const window = async (ms) => {
        let calls = 0;
        const started = performance.now();
        while (performance.now() - started < ms) {
          for (let i = 0; i < message.perTick; i++) publishTo('unwatched', payload(calls++));
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { calls, ms: performance.now() - started };
      };
      await window(200);
      const rates = [];
      for (let i = 0; i < (message.windows ?? 1); i++) {
        const { calls, ms } = await window(message.ms);
        rates.push(calls / (ms / 1000));
      }
      process.send({ cmd: 'unwatched', rates });
    }
  });
  // A normal exit, so that --cpu-prof can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  process.send({ cmd: 'ready', port });
}
