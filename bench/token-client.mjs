// The load of the token bench: `count` concurrent streams of one route, each
// read to its end; counts the tokens (one `data:` line each). Driven over IPC:
//   { cmd: 'run', port, path, count } → { cmd: 'done', tokens, ended, wallMs }
import { request } from 'node:http';

function openOne(port, path) {
  return new Promise((resolve) => {
    let tokens = 0;
    let tail = '';
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const text = tail + chunk;
        let at = 0;
        for (;;) {
          const found = text.indexOf('data: ', at);
          if (found === -1) break;
          tokens++;
          at = found + 6;
        }
        tail = text.slice(Math.max(at, text.length - 5));
      });
      res.on('end', () => resolve({ tokens, ended: true }));
      res.on('error', () => resolve({ tokens, ended: false }));
    });
    req.on('error', () => resolve({ tokens, ended: false }));
    req.end();
  });
}

process.on('message', async (message) => {
  if (message.cmd === 'run') {
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: message.count }, () => openOne(message.port, message.path)));
    process.send({
      cmd: 'done',
      tokens: results.reduce((sum, r) => sum + r.tokens, 0),
      ended: results.filter((r) => r.ended).length,
      wallMs: performance.now() - started,
    });
  }
});
process.send({ cmd: 'ready' });
