// Reference: plain Express (no Nest), the same coalescing as raw-node.mjs.
// Shows what Express itself costs per connection.
import express from 'express';
import { serve } from './protocol.mjs';

const clients = new Set();
let pending = [];
let seq = 0;

function flush() {
  const bytes = Buffer.from(pending.join(''), 'utf8');
  pending = [];
  for (const res of clients) {
    res.write(bytes);
  }
}

const app = express();
app.get('/feed', (req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
  res.flushHeaders();
  clients.add(res);
  res.on('close', () => clients.delete(res));
});
const server = app.listen(0, '127.0.0.1', () => {
  serve(
    server.address().port,
    (data) => {
      if (pending.length === 0) {
        queueMicrotask(flush);
      }
      pending.push(`id: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    () => clients.size,
  );
});
