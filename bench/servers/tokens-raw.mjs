// Baseline: raw node:http writing the same rxjs Observable, one write per token.
import { createServer } from 'node:http';
import { serveTokens, tokenArgs, tokenSource } from './token-source.mjs';

const { tokens, intervalMs } = tokenArgs(process.argv);
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const subscription = tokenSource(tokens, intervalMs).subscribe({
    next: (value) => res.write(`data: ${JSON.stringify(value.data)}\n\n`),
    complete: () => res.end(),
  });
  res.on('close', () => subscription.unsubscribe());
});
server.listen(0, '127.0.0.1', () => serveTokens(server.address().port));
