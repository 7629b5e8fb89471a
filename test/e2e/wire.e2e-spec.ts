import { connect } from 'node:net';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { FeedController } from '../src/feed.controller.js';
import { until } from '../src/until.js';

/** Reads an HTTP/1.1 chunked body off raw bytes: the chunks, and whether the last (0) came. */
function dechunk(raw: Buffer): { head: string; chunks: Buffer[]; ended: boolean; rest: Buffer } {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headEnd).toString('latin1');
  const chunks: Buffer[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd === -1) return { head, chunks, ended: false, rest: Buffer.alloc(0) };
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { head, chunks, ended: true, rest: raw.subarray(lineEnd + 4) };
    if (raw.length < lineEnd + 2 + size + 2) return { head, chunks, ended: false, rest: Buffer.alloc(0) };
    chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    expect(raw.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1')).toBe('\r\n');
    at = lineEnd + 4 + size;
  }
}

describe.each(PLATFORMS)('the bytes on the wire on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [FeedController] });
  });
  afterAll(() => t.close());

  it('frames are valid HTTP/1.1 chunks (sizes in UTF-8 bytes); the end is the last chunk, and the connection is reused', async () => {
    const broadcaster = t.app.get(SseBroadcaster);
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    let raw = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => (raw = Buffer.concat([raw, data])));
    socket.write('GET /feed/news-plain HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    await until(() => broadcaster.clientCount('news') === 1, 'the client');
    const ids = [
      await broadcaster.publish('news', 'héllo ☃ 😀'),
      await broadcaster.publish('news', { line: 'one\ntwo' }),
      await broadcaster.publish('news', 'x'.repeat(70_000)),
    ];
    await until(() => dechunk(raw).chunks.length >= 3, 'three chunks');
    broadcaster.close('news');
    await until(() => dechunk(raw).ended, 'the last chunk');
    const { head, chunks } = dechunk(raw);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(Buffer.concat(chunks).toString('utf8')).toBe(
      `id: ${ids[0]}\ndata: héllo ☃ 😀\n\nid: ${ids[1]}\ndata: {"line":"one\\ntwo"}\n\nid: ${ids[2]}\ndata: ${'x'.repeat(70_000)}\n\n`,
    );
    // Keep-alive: the same connection answers the next request.
    raw = Buffer.alloc(0);
    socket.write('GET /feed/legacy-missing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => raw.includes('\r\n\r\n'), 'the next response');
    expect(raw.toString('latin1')).toMatch(/^HTTP\/1\.1 404 /);
    socket.destroy();
  });
});
