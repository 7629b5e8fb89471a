// The per-client stream every token server runs: `tokens` values, one every
// `intervalMs`, like an LLM answer token by token. Shared by the token bench's
// servers so that each runs the same rxjs Observable.
import { interval, map, take } from 'rxjs';

const TEXT = [' The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];

export function tokenSource(tokens, intervalMs) {
  return interval(intervalMs).pipe(
    take(tokens),
    map((i) => ({ data: { i, text: TEXT[i % TEXT.length] } })),
  );
}

/** The IPC of a token server: CPU used between 'start' and 'stop', in µs. */
export function serveTokens(port) {
  let startedAt;
  process.on('message', (message) => {
    if (message.cmd === 'start') {
      startedAt = process.cpuUsage();
      process.send({ cmd: 'started' });
    } else if (message.cmd === 'stop') {
      const used = process.cpuUsage(startedAt);
      process.send({ cmd: 'cpu', micros: used.user + used.system });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
  process.send({ cmd: 'ready', port });
}

/** Token count and interval from the command line: node <server> <platform?> <tokens> <intervalMs>. */
export function tokenArgs(argv) {
  const numbers = argv.slice(2).filter((arg) => /^\d+$/.test(arg)).map(Number);
  return { tokens: numbers[0] ?? 200, intervalMs: numbers[1] ?? 10 };
}
