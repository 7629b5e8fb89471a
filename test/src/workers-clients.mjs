// Many idle SSE streams from one process (a process holds at most `ulimit -n`
// sockets: the stress test spreads its streams over several of these), each
// counting the events it receives. Driven over IPC:
//   node workers-clients.mjs <port> <path> <count> <local address>
//   → { cmd: 'ready' }
//   { cmd: 'open' }        → { cmd: 'opened', opened, failed, statuses } once every stream has
//                            its headers or has failed (statuses: a count per failure)
//   { cmd: 'count', id }   → { cmd: 'count', id, streams, duplicates, open }: how many streams
//                            received the event `id`, how many received it more than once,
//                            how many are still open
//   { cmd: 'ends' }        → { cmd: 'ends', ended, aborted, open }: streams ended by the server
//                            (a clean end of the response), broken off, still open
// It exits when its parent goes (IPC disconnected).
import { request } from 'node:http';

const [port, path, countText, localAddress] = process.argv.slice(2);
const COUNT = Number(countText);
const CONCURRENCY = 400;

/** Event id → streams that received it; and streams that received some id twice. */
const received = new Map();
let duplicates = 0;
let opened = 0;
let failed = 0;
let ended = 0;
let aborted = 0;
const statuses = {};

function openOne() {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: Number(port), path, localAddress, agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          failed++;
          res.resume();
          resolve();
          return;
        }
        opened++;
        resolve();
        const seen = new Set();
        let buffer = '';
        let done = false;
        const finish = (how) => {
          if (done) return;
          done = true;
          if (how === 'end') ended++;
          else aborted++;
        };
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          let at;
          while ((at = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            const id = /^id: ?(.*)$/m.exec(frame)?.[1];
            if (id === undefined) continue;
            if (seen.has(id)) duplicates++;
            else received.set(id, (received.get(id) ?? 0) + 1);
            seen.add(id);
          }
        });
        res.on('end', () => finish('end'));
        res.on('aborted', () => finish('aborted'));
        res.on('error', () => finish('aborted'));
      },
    );
    req.on('error', (error) => {
      // Before the response: the stream never opened (after it, the response reports the break).
      if (!req.res) {
        statuses[error.code ?? error.message] = (statuses[error.code ?? error.message] ?? 0) + 1;
        failed++;
        resolve();
      }
    });
    req.end();
  });
}

process.on('message', async (message) => {
  if (message.cmd === 'open') {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, COUNT) }, async () => {
        while (next < COUNT) {
          next++;
          await openOne();
        }
      }),
    );
    process.send({ cmd: 'opened', opened, failed, statuses });
  } else if (message.cmd === 'count') {
    process.send({ cmd: 'count', id: message.id, streams: received.get(message.id) ?? 0, duplicates, open: opened - ended - aborted });
  } else if (message.cmd === 'ends') {
    process.send({ cmd: 'ends', ended, aborted, open: opened - ended - aborted });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ cmd: 'ready' });
