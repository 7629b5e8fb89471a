import { Controller } from '@nestjs/common';
import { connect } from 'node:net';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';

@Controller()
class CursorController {
  /** A live route (the default): a client without Last-Event-ID gets only what comes next. */
  @SseChannel('cursor/live')
  live(): void {}
}

/** Sends `head` (request line and headers) on a raw socket; resolves with all the server answered until it closed. */
function rawRequest(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(head));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe.each(PLATFORMS)('no Last-Event-ID selects an internal cursor, on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [CursorController] });
    broadcaster = t.app.get(SseBroadcaster);
    for (const data of ['past 1', 'past 2', 'past 3']) {
      await broadcaster.publish('cursor/live', data);
    }
  });
  afterAll(() => t.close());

  it('?lastEventId=%00start on a live route is an unknown id: a reset, none of the history', async () => {
    const stream = await SseTestStream.open(t.server, { path: '/cursor/live?lastEventId=%00start' });
    expect(stream.status).toBe(200);
    await stream.waitForEvents(1);
    await broadcaster.publish('cursor/live', 'live 1');
    const events = await stream.waitFor((seen) => seen.some((event) => event.data === 'live 1'));
    expect(events.map((event) => event.event)).toEqual(['sse-reset', 'message']);
    expect(JSON.parse(events[0].data)).toEqual({ reason: 'unknown-id', lastEventId: '\0start', channel: 'cursor/live' });
    expect(stream.raw).not.toContain('past');
    await stream.close();
  });

  it('a Last-Event-ID header with a NUL never reaches the route: 400 from the HTTP parser, nothing streamed', async () => {
    const answer = await rawRequest(t.url, 'GET /cursor/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: \0start\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toContain('text/event-stream');
    expect(answer).not.toContain('past');
  });
});
