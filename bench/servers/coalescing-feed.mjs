// The baselines' publisher: each event encoded once, all events of one
// event-loop turn joined into one buffer and written once per client.
export function coalescingFeed() {
  const clients = new Set();
  let pending = [];
  let seq = 0;
  const flush = () => {
    const bytes = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    for (const res of clients) {
      res.write(bytes);
    }
  };
  return {
    /** Opens the event stream on a raw response and adds it to the feed. */
    add(res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
      res.flushHeaders();
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
    publish(data) {
      if (pending.length === 0) {
        queueMicrotask(flush);
      }
      pending.push(`id: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    size: () => clients.size,
  };
}
