import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SseBroadcaster } from '../../lib/index.js';
import { createH2App, type H2App } from '../src/h2-app.js';
import { selfSignedCertificate } from '../src/tls.js';
import { until } from '../src/until.js';

/** One SSE stream on an HTTP/2 session, parsed by eventsource-parser. */
function openStream(session: ClientHttp2Session, path: string) {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const request: ClientHttp2Stream = session.request({ ':path': path, accept: 'text/event-stream' });
  const response = new Promise<IncomingHttpHeaders>((resolve) => request.on('response', resolve));
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => parser.feed(chunk));
  const ended = new Promise<void>((resolve) => request.on('close', () => resolve()));
  request.on('error', () => undefined);
  return { request, response, events, ended };
}

/** Resolves with how long `close()` took, or fails the test if it hangs. */
async function closesPromptly(app: H2App): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    app.close(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('app.close() did not return while the HTTP/2 session was open')), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return Date.now() - started;
}

describe.each([
  ['cleartext HTTP/2 (h2c)', false],
  ['HTTP/2 over TLS', true],
])('Fastify with %s', (_, secure) => {
  it('20 streams on one session get the same events and ids; cancelled streams leave; app.close() returns and closes the session', async () => {
    const tls = secure ? await selfSignedCertificate() : undefined;
    const app = await createH2App({ tls });
    const broadcaster = app.app.get(SseBroadcaster);
    const session = connect(app.url, tls ? { ca: tls.cert } : {});
    session.on('error', () => undefined);
    const sessionClosed = new Promise<void>((resolve) => session.on('close', () => resolve()));
    try {
      const streams = Array.from({ length: 20 }, () => openStream(session, '/h2/stream/news'));
      const headers = await Promise.all(streams.map((s) => s.response));
      for (const h of headers) {
        expect(h[':status']).toBe(200);
        expect(h['content-type']).toBe('text/event-stream');
        expect(h.connection).toBeUndefined(); // connection-specific headers are forbidden in HTTP/2
      }
      await until(() => broadcaster.clientCount('h2/news') === 20, '20 clients');
      const ids = [await broadcaster.publish('h2/news', 'one'), await broadcaster.publish('h2/news', { two: 2 })];
      await until(() => streams.every((s) => s.events.length === 2), 'every stream to get both events');
      for (const stream of streams) {
        expect(stream.events.map((e) => [e.id, e.data])).toEqual([
          [ids[0], 'one'],
          [ids[1], '{"two":2}'],
        ]);
      }
      for (const stream of streams.slice(0, 5)) {
        stream.request.close(constants.NGHTTP2_CANCEL);
      }
      await until(() => broadcaster.clientCount('h2/news') === 15, 'the cancelled streams to leave');

      const took = await closesPromptly(app);
      await sessionClosed;
      await Promise.all(streams.map((s) => s.ended));
      console.log(`[${secure ? 'h2' : 'h2c'}] app.close() with 15 HTTP/2 streams on one session took ${took} ms`);
    } finally {
      session.destroy();
    }
  });
});
