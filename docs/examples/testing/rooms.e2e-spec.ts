import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { collectSseEvents, SseTestStream } from 'nestjs-sse-channel/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { AppModule } from './app.module.js';

describe('rooms (e2e)', () => {
  let app: INestApplication;
  let server: Server;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1'); // a free port
    server = app.getHttpServer();
  });
  afterAll(() => app.close());

  const say = (room: string, text: string) => request(server).post(`/rooms/${room}`).send({ text }).expect(201);

  it('a message posted to a room reaches its clients as a chat event', async () => {
    const { status, events } = await collectSseEvents(server, {
      path: '/rooms/42',
      count: 2, // stop after 2 events: post 2 messages below
      // Runs once the stream is open: nothing posted here is missed.
      onOpen: async () => {
        await say('42', 'hello');
        await say('42', 'bye');
      },
    });
    expect(status).toBe(200);
    expect(events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['chat', { text: 'hello' }],
      ['chat', { text: 'bye' }],
    ]);
  });

  it('a client back with Last-Event-ID gets what was posted while it was away, and only that', async () => {
    const stream = await SseTestStream.open(server, { path: '/rooms/7' });
    await say('7', 'one');
    const [first] = await stream.waitForEvents(1);
    await stream.close();
    await say('7', 'two'); // while the client is away

    const back = await SseTestStream.open(server, { path: '/rooms/7', headers: { 'last-event-id': first.id! } });
    await back.waitForEvents(1);
    expect(back.events.map((e) => JSON.parse(e.data).text)).toEqual(['two']);
    await back.close();
  });

  it('an event published by a service reaches the stream, with the id publish() gave', async () => {
    const broadcaster = app.get(SseBroadcaster);
    const stream = await SseTestStream.open(server, { path: '/rooms/9' });
    const id = await broadcaster.publish('rooms/9', { text: 'from a service' });
    const events = await stream.waitFor((received) => received.some((e) => e.id === id));
    expect(events).toEqual([{ event: 'chat', data: '{"text":"from a service"}', id, retry: undefined }]);
    await stream.close();
  });

  it('a request refused before the stream gives its status and body at once', async () => {
    const { status, body, events } = await collectSseEvents(server, { path: '/rooms/1%2Fprivate' });
    expect(status).toBe(400);
    expect(JSON.parse(body).message).toContain('"1/private"');
    expect(events).toEqual([]);
  });
});
