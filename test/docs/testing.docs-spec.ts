import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { collectSseEvents, SseTestStream } from 'nestjs-sse-channel/testing';
import { AppModule } from '../../docs/examples/testing/app.module.js';

// docs/testing.md: the test file a user copies, docs/examples/testing/rooms.e2e-spec.ts,
// runs here as it is — importing it registers its describe() in this file.
import '../../docs/examples/testing/rooms.e2e-spec.js';

// What the guide says of the helpers beyond that file.
describe('the testing helpers, as docs/testing.md describes them', () => {
  let app: INestApplication;
  let server: Server;
  let broadcaster: SseBroadcaster;

  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    await app.init(); // not listening: the helpers listen for their request
    server = app.getHttpServer();
    broadcaster = app.get(SseBroadcaster);
  });
  afterAll(() => app?.close());

  it('take a server that is not listening: it listens on a free port for the request, and stops after', async () => {
    const { events } = await collectSseEvents(server, { path: '/rooms/1', count: 1, onOpen: () => broadcaster.publish('rooms/1', 'hi') });
    expect(events.map((e) => e.data)).toEqual(['hi']);
    expect(server.listening).toBe(false);
  });

  it('a wait that cannot be met fails with how many events came and the last one (count: 2, one publish)', async () => {
    await expect(collectSseEvents(server, { path: '/rooms/2', count: 2, timeout: 300, onOpen: () => broadcaster.publish('rooms/2', 'only one') })).rejects.toThrow(
      /^Timed out after 300 ms waiting for 2 event\(s\); 1 event\(s\) arrived \(status 200, last: \{"event":"chat","data":"only one"/,
    );
  });

  it('waitForEnd() resolves when the server ends the stream; events stay readable', async () => {
    const stream = await SseTestStream.open(server, { path: '/rooms/3' });
    broadcaster.publish('rooms/3', 'last words');
    await stream.waitForEvents(1);
    await broadcaster.end('rooms/3');
    await stream.waitForEnd();
    expect(stream.ended).toBe(true);
    expect(stream.events.map((e) => e.event)).toEqual(['chat', 'sse-end']);
    expect(stream.raw).toContain('data: last words\n');
  });
});
