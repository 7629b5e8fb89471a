import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseClient, type SseClientError, type SseClientOptions } from '../../lib/client/index.js';
import { until } from '../src/until.js';

/** What the hostile server saw of one request. */
interface Seen {
  method: string;
  lastEventId: string | undefined;
  /** The client closed the connection. */
  closed: boolean;
}

/** A raw node:http server that answers request n with `answers[n]` (the last one again beyond the list). */
async function hostileServer(answers: ((req: IncomingMessage, res: ServerResponse, seen: Seen) => void)[]) {
  const requests: Seen[] = [];
  const timers = new Set<ReturnType<typeof setInterval>>();
  const server: Server = createServer((req, res) => {
    const seen: Seen = { method: req.method!, lastEventId: req.headers['last-event-id'] as string | undefined, closed: false };
    requests.push(seen);
    res.on('close', () => (seen.closed = true));
    answers[Math.min(requests.length - 1, answers.length - 1)](req, res, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`,
    requests,
    /** An interval stopped with the server. */
    every(ms: number, tick: () => void) {
      const timer = setInterval(tick, ms);
      timers.add(timer);
      return () => clearInterval(timer);
    },
    close: async () => {
      timers.forEach((timer) => clearInterval(timer));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const eventStream = (res: ServerResponse, text = '') => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(text);
};
const noContent = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(204).end();
const jsonAnswer =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('nestjs-sse-channel/client against hostile or broken servers (raw node:http)', () => {
  let server: Awaited<ReturnType<typeof hostileServer>>;
  let client: SseClient | undefined;
  const connect = (options: SseClientOptions = {}) => {
    client = new SseClient(server.url, { retry: 10, stallTimeout: 0, ...options });
    const errors: SseClientError[] = [];
    client.onError((error) => errors.push(error));
    const seen: unknown[] = [];
    client.on('message', (data) => seen.push(data));
    return { client, errors, seen };
  };

  afterEach(async () => {
    client?.close();
    client = undefined;
    await server?.close();
  });

  it('malformed frames: unknown fields, a bad retry:, lines without a colon, a NUL id, data-less blocks, CR and CRLF, a BOM, UTF-8 split across writes — reported, and the good events arrive', async () => {
    server = await hostileServer([
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const euro = Buffer.from('data: "€"\n\n');
        res.write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: 1\n\n')])); // BOM
        res.write('bogus: 1\nretry: soon\njunk line\ndata: 2\n\n');
        res.write('id: a\0b\ndata: 3\n\n'); // NUL: the id is ignored
        res.write('event: nothing\nid: lost\n\n'); // no data: nothing dispatched, the id does not move
        res.write('data: 4\r\rdata: 5\r\n\r\n: a comment\r\n');
        res.write(euro.subarray(0, 8)); // splits the € (e2 82 ac)
        setTimeout(() => res.write(euro.subarray(8)), 20);
      },
    ]);
    const { client: c, errors, seen } = connect();
    await until(() => seen.length === 6, 'six events');
    expect(seen).toEqual([1, 2, 3, 4, 5, '€']);
    expect(errors.map((e) => e.kind)).toEqual(['parse', 'parse', 'parse']);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/Unknown field "bogus"[\s\S]*retry[\s\S]*junk line/);
    expect(c.lastEventId).toBeUndefined();
    expect(c.state).toBe('open');
  });

  it('a line of 10 MB: the client drops the connection once it passes maxEventBytes, long before the 10 MB, reports it and resumes from its last id', async () => {
    let written = 0;
    server = await hostileServer([
      (_req, res, seen) => {
        eventStream(res, 'id: 1\ndata: "ok"\n\ndata: ');
        const chunk = 'x'.repeat(64 * 1024);
        const pump = () => {
          while (!seen.closed && written < 10 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
      noContent,
    ]);
    const { client: c, errors, seen } = connect();
    await expect(c.done).resolves.toBeUndefined();
    expect(seen).toEqual(['ok']);
    expect(errors.map((e) => [e.kind, e.retryIn === undefined])).toEqual([['too-large', false]]);
    expect(errors[0].message).toMatch(/line over maxEventBytes \(1048576\)/);
    expect(server.requests.map((r) => [r.closed, r.lastEventId])).toEqual([
      [true, undefined],
      [true, '1'],
    ]);
    // What the socket buffers took, at most: the client stopped reading at 1 MiB.
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it('a slow drip (a byte at a time): the event arrives whole, no stall while bytes come; then silence → stalled, resumed from the last id', async () => {
    server = await hostileServer([
      (_req, res) => {
        eventStream(res);
        const text = 'id: d1\ndata: {"drip":true}\n\n';
        let at = 0;
        const stop = server.every(10, () => {
          if (at < text.length) {
            res.write(text[at++]);
          } else {
            stop(); // then nothing at all
          }
        });
      },
      noContent,
    ]);
    const { client: c, errors, seen } = connect({ stallTimeout: 300 });
    await expect(c.done).resolves.toBeUndefined();
    expect(seen).toEqual([{ drip: true }]);
    expect(errors.map((e) => e.kind)).toEqual(['stalled']);
    expect(server.requests.map((r) => r.lastEventId)).toEqual([undefined, 'd1']);
  });

  it('a slow drip of a line that never ends: bounded by maxEventBytes, not by time', async () => {
    server = await hostileServer([
      (_req, res) => {
        eventStream(res, 'data: ');
        server.every(2, () => res.write('x'));
      },
      noContent,
    ]);
    const { client: c, errors } = connect({ maxEventBytes: 64, stallTimeout: 1000 });
    await expect(c.done).resolves.toBeUndefined();
    expect(errors.map((e) => e.kind)).toEqual(['too-large']);
    expect(errors[0].message).toMatch(/line over maxEventBytes \(64\): 65 bytes/);
  });

  it('500s then 200: each failure reported with its status, body and retryIn; then the stream opens', async () => {
    server = await hostileServer([
      jsonAnswer(500, { message: 'boom' }),
      jsonAnswer(500, { message: 'boom again' }),
      (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
      (_req, res) => eventStream(res, 'data: "finally"\n\n'),
    ]);
    const { client: c, errors, seen } = connect({ retry: 10, maxRetryDelay: 40 });
    await until(() => seen.length === 1, 'the event');
    expect(seen).toEqual(['finally']);
    expect(errors.map((e) => [e.kind, e.status, e.body])).toEqual([
      ['status', 500, { message: 'boom' }],
      ['status', 500, { message: 'boom again' }],
      ['status', 502, '<h1>Bad Gateway</h1>'],
    ]);
    expect(errors.map((e) => e.message)).toEqual(['The server answered 500: boom', 'The server answered 500: boom again', 'The server answered 502']);
    // Backoff: retry × 2^(n−1), between half and all of it.
    errors.forEach((e, i) => {
      expect(e.retryIn).toBeGreaterThanOrEqual((10 * 2 ** i) / 2);
      expect(e.retryIn).toBeLessThanOrEqual(10 * 2 ** i);
    });
    expect(c.state).toBe('open');
  });

  it('503 with Retry-After: 1 — the next attempt is announced a second (to 1.1 s) later, and made', async () => {
    server = await hostileServer([jsonAnswer(503, { message: 'busy' }, { 'retry-after': '1' }), (_req, res) => eventStream(res, 'data: 1\n\n')]);
    const { errors, seen } = connect();
    await until(() => seen.length === 1, 'the event after the wait');
    expect(errors.map((e) => [e.kind, e.status])).toEqual([['status', 503]]);
    expect(errors[0].retryIn).toBeGreaterThanOrEqual(1000);
    expect(errors[0].retryIn).toBeLessThanOrEqual(1100);
    expect(server.requests).toHaveLength(2);
  });

  it('a connection reset in the middle of an event: reported as network, the partial event dropped, resumed from the last whole one', async () => {
    server = await hostileServer([
      (_req, res) => {
        eventStream(res, 'id: 1\ndata: "whole"\n\nid: 2\ndata: "cut');
        setTimeout(() => res.socket!.destroy(), 20);
      },
      (_req, res) => eventStream(res, 'id: 2\ndata: "again"\n\n'),
    ]);
    const { errors, seen } = connect();
    await until(() => seen.length === 2, 'the resumed event');
    expect(seen).toEqual(['whole', 'again']);
    expect(errors.map((e) => e.kind)).toEqual(['network']);
    expect(server.requests.map((r) => r.lastEventId)).toEqual([undefined, '1']);
  });

  it('a server that accepts and never answers: stalled, then retried', async () => {
    server = await hostileServer([() => {}, noContent]);
    const { client: c, errors } = connect({ stallTimeout: 200 });
    await expect(c.done).resolves.toBeUndefined();
    expect(errors.map((e) => e.kind)).toEqual(['stalled']);
    expect(server.requests).toHaveLength(2);
  });

  it('a 200 with another content type: closed, done rejects (protocol), no retry', async () => {
    server = await hostileServer([(_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>')]);
    const { client: c } = connect();
    await expect(c.done).rejects.toMatchObject({ kind: 'protocol', status: 200, body: '<html>sign in</html>' });
    expect(server.requests).toHaveLength(1);
  });
});
