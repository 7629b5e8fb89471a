// The load: many real HTTP connections to one SSE route, counting events and
// the publish-to-receive latency of each (the payload carries its publish
// time). Driven over IPC by bench/run.mjs:
//   { cmd: 'connect', ports, path, count } → 'connected' once every stream has its
//                                           headers (clients spread round-robin over the ports)
//   { cmd: 'expect', total, timeoutMs }    → 'result' with counts and latencies
//   { cmd: 'close' }                       → destroys every connection, 'closed'
import { connect } from 'node:net';

let sockets = [];
let received = 0;
let firstAt = 0;
let lastAt = 0;
let latencies = new Float64Array(0);
let waiter;

const now = () => performance.timeOrigin + performance.now();

function onEvents(count, sampleTimes) {
  const at = now();
  if (received === 0) {
    firstAt = at;
  }
  lastAt = at;
  for (const t of sampleTimes) {
    if (received < latencies.length) {
      latencies[received] = at - t;
    }
    received++;
  }
  if (waiter && received >= waiter.total) {
    waiter.done();
  }
}

function openOne(port, path) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('latin1');
    let head = true;
    let tail = '';
    socket.on('data', (chunk) => {
      let text = tail + chunk;
      if (head) {
        const end = text.indexOf('\r\n\r\n');
        if (end === -1) {
          tail = text;
          return;
        }
        if (!text.startsWith('HTTP/1.1 200')) {
          reject(new Error(text.split('\r\n')[0]));
          return;
        }
        head = false;
        text = text.slice(end + 4);
        resolve(socket);
      }
      const times = [];
      let pos = 0;
      for (;;) {
        const at = text.indexOf('"t":', pos);
        if (at === -1) {
          tail = text.slice(Math.max(pos, text.length - 4));
          break;
        }
        const comma = text.indexOf(',', at);
        if (comma === -1) {
          tail = text.slice(at);
          break;
        }
        times.push(Number(text.slice(at + 4, comma)));
        pos = comma;
      }
      if (times.length) {
        onEvents(times.length, times);
      }
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

process.on('message', async (message) => {
  if (message.cmd === 'connect') {
    received = 0;
    const opened = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(200, message.count) }, async () => {
        while (next < message.count) {
          const port = message.ports[next++ % message.ports.length];
          opened.push(await openOne(port, message.path));
        }
      }),
    );
    sockets = opened;
    process.send({ cmd: 'connected', count: sockets.length });
  } else if (message.cmd === 'expect') {
    received = 0;
    latencies = new Float64Array(message.total);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, message.timeoutMs);
      waiter = { total: message.total, done: () => (clearTimeout(timer), resolve()) };
      if (received >= message.total) waiter.done();
    });
    waiter = undefined;
    const sorted = Float64Array.from(latencies.subarray(0, Math.min(received, latencies.length))).sort();
    process.send({ cmd: 'result', received, firstAt, lastAt, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) });
  } else if (message.cmd === 'close') {
    for (const socket of sockets) {
      socket.destroy();
    }
    sockets = [];
    process.send({ cmd: 'closed' });
  }
});
process.send({ cmd: 'ready' });
