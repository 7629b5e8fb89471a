import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource, type EventSourceFetchInit } from 'eventsource';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { SseTestStream } from 'nestjs-sse-channel/testing';
import { AppModule } from '../../docs/examples/redis/app.module.js';
import { Balancer } from '../src/balancer.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();

// The Redis guide's example (docs/examples/redis/): the same AppModule started
// twice, as two instances of one application on one real redis-server.
(hasRedis ? describe.each(['express', 'fastify'] as const) : describe.skip.each(['express', 'fastify'] as const))(
  'two instances on Redis, on %s',
  (platform) => {
    let redis: RedisServer;
    let a: INestApplication;
    let b: INestApplication;
    const urls = { a: '', b: '' };

    const start = async () => {
      const app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
      app.enableShutdownHooks();
      await app.listen(0, '127.0.0.1');
      return app;
    };
    const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');

    beforeAll(async () => {
      redis = await RedisServer.start();
      process.env.REDIS_URL = redis.url;
      [a, b] = await Promise.all([start(), start()]);
      [urls.a, urls.b] = await Promise.all([urlOf(a), urlOf(b)]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      delete process.env.REDIS_URL;
      await redis?.destroy();
    });

    const say = async (on: string, room: string, text: string) => {
      const response = await fetch(`${on}/rooms/${room}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };

    it('a message posted on A reaches an EventSource on B, with the id A answered', async () => {
      const source = new EventSource(`${urls.b}/rooms/1`);
      const seen: [string, string][] = [];
      source.addEventListener('chat', (event) => seen.push([JSON.parse(event.data).text, event.lastEventId]));
      try {
        await until(() => source.readyState === EventSource.OPEN, 'the stream on B');
        const id = await say(urls.a, '1', 'from A');
        await until(() => seen.length === 1, 'the message on B');
        expect(seen).toEqual([['from A', id]]);
        expect(a.get(SseBroadcaster).clientCount('rooms/1')).toBe(0);
        expect(b.get(SseBroadcaster).clientCount('rooms/1')).toBe(1);
      } finally {
        source.close();
      }
    });

    it('a client cut on B resumes on A with its Last-Event-ID: exactly what it missed, then live', async () => {
      const first = await SseTestStream.open(urls.b, { path: '/rooms/2' });
      await until(() => b.get(SseBroadcaster).clientCount('rooms/2') === 1, 'the stream on B');
      await say(urls.a, '2', 'one');
      const [last] = await first.waitForEvents(1);
      await first.close();
      await until(() => b.get(SseBroadcaster).clientCount('rooms/2') === 0, 'the stream to end');
      const missed = [await say(urls.a, '2', 'two'), await say(urls.b, '2', 'three')];
      // On A, which has had no client of rooms/2: what it missed is read from Redis.
      const back = await SseTestStream.open(urls.a, { path: '/rooms/2', headers: { 'last-event-id': last.id! } });
      try {
        expect((await back.waitForEvents(2)).map((e) => [e.event, JSON.parse(e.data).text, e.id])).toEqual([
          ['chat', 'two', missed[0]],
          ['chat', 'three', missed[1]],
        ]);
        const live = await say(urls.b, '2', 'four');
        expect((await back.waitForEvents(3)).map((e) => [JSON.parse(e.data).text, e.id])).toEqual([
          ['two', missed[0]],
          ['three', missed[1]],
          ['four', live],
        ]);
      } finally {
        await back.close();
      }
    });

    it('a real EventSource behind a round-robin balancer: cut on one instance, it reconnects to the other and loses nothing', async () => {
      const balancer = await Balancer.start([urls.a, urls.b].map((url) => Number(new URL(url).port)));
      // The client stays away (its reconnect waits) until the test has published what it will miss.
      let away: Promise<void> | undefined;
      let comeBack = () => {};
      const lastEventIds: (string | undefined)[] = [];
      const source = new EventSource(`${balancer.url}/rooms/3`, {
        fetch: async (input: string | URL, init: EventSourceFetchInit) => {
          await away;
          lastEventIds.push(init.headers['Last-Event-ID']);
          return fetch(input, init);
        },
      });
      const seen: string[] = [];
      source.addEventListener('chat', (event) => seen.push(JSON.parse(event.data).text));
      try {
        await until(() => source.readyState === EventSource.OPEN, 'the stream on A');
        expect(a.get(SseBroadcaster).clientCount('rooms/3')).toBe(1);
        const first = await say(urls.b, '3', 'before the cut');
        await until(() => seen.length === 1, 'the first message');
        away = new Promise((resolve) => (comeBack = resolve));
        balancer.cut();
        await until(() => a.get(SseBroadcaster).clientCount('rooms/3') === 0, 'the stream to end');
        await say(urls.a, '3', 'while away 1');
        await say(urls.b, '3', 'while away 2');
        comeBack();
        await until(() => seen.length === 3, 'the missed messages');
        expect(b.get(SseBroadcaster).clientCount('rooms/3')).toBe(1);
        await say(urls.a, '3', 'live');
        await until(() => seen.length === 4, 'the live message');
        expect(seen).toEqual(['before the cut', 'while away 1', 'while away 2', 'live']);
        expect(lastEventIds).toEqual([undefined, first]);
      } finally {
        source.close();
        await balancer.close();
      }
    });
  },
);
