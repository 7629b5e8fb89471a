// Opens many SSE streams from a separate process (a process may hold only so
// many sockets), reports when all are open, then when all have ended.
//   node many-clients.mjs <url> <count>
// stdout: "open <n>" once every stream has its headers, "ended <n>" once every
// stream has ended, then it exits. Stops by itself after 60 s.
import { request } from 'node:http';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const CONCURRENCY = 500;
let opened = 0;
let ended = 0;
let failed = 0;

setTimeout(() => {
  console.log(`timeout opened=${opened} ended=${ended} failed=${failed}`);
  process.exit(2);
}, 60_000).unref();

function openOne() {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      res.resume();
      res.on('close', () => {
        ended++;
        if (ended + failed === count) {
          console.log(`ended ${ended}`);
          process.exit(failed ? 1 : 0);
        }
      });
      opened++;
      resolve();
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end();
  });
}

let next = 0;
async function worker() {
  while (next < count) {
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
console.log(`open ${opened}`);
