import { jest } from '@jest/globals';
import { EventSource } from 'eventsource';
import request from 'supertest';
import { RedisTransport, SseBroadcaster, SseEncodingError, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { FakeGeneration, generations, RunsController } from '../src/runs.controller.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();

(hasRedis ? describe : describe.skip)('runs on Redis (two instances)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis?.destroy());

  describe.each<[Platform, Platform]>([
    ['express', 'fastify'],
    ['fastify', 'express'],
  ])('A on %s, B on %s', (platformA, platformB) => {
    let a: TestApp;
    let b: TestApp;
    const tag = `${platformA}-${platformB}`;
    const instance = (platform: Platform) =>
      createTestApp(platform, {
        imports: [
          SseModule.forRootAsync({
            useFactory: () => ({ heartbeat: 0, transport: new RedisTransport({ connection: redis.url, keyPrefix: `runs-${tag}:` }) }),
          }),
        ],
        controllers: [RunsController],
      });
    beforeAll(async () => {
      [a, b] = await Promise.all([instance(platformA), instance(platformB)]);
    });
    afterAll(() => Promise.all([a?.close(), b?.close()]));

    it('a run started on A streams to a real EventSource on B, which resumes after a cut and stops on the 204 that B gives after the end', async () => {
      const id = `${tag}-run`;
      const post = await SseTestStream.open(a.server, { path: '/chat', method: 'POST', body: { id } });
      const seen: string[] = [];
      const source = new EventSource(`${b.url}/runs/${id}`);
      source.addEventListener('token', (e) => seen.push(e.data));
      source.addEventListener('sse-end', (e) => seen.push(`end:${JSON.parse(e.data).reason}`));
      const errors: number[] = [];
      source.onerror = (e) => errors.push((e as { code?: number }).code ?? 0);
      try {
        await until(() => b.app.get(SseBroadcaster).clientCount(`runs/${id}`) === 1, 'the client on B');
        const generation = generations.get(id)!;
        generation.tokens.next('A');
        generation.tokens.next('B');
        await until(() => seen.length === 2, 'two tokens on B');
        b.app.get(SseBroadcaster).close(`runs/${id}`);
        generation.tokens.next('C');
        await until(() => seen.length === 3, 'the missed token, replayed from Redis');
        generation.tokens.complete();
        await until(() => source.readyState === EventSource.CLOSED, 'EventSource to stop');
        expect(seen).toEqual(['A', 'B', 'C', 'end:complete']);
        expect(errors.at(-1)).toBe(204);
        await post.waitForEnd();
        expect(post.events.map((e) => e.data.startsWith('{') ? e.event : e.data)).toEqual(['A', 'B', 'C', 'sse-end']);
      } finally {
        source.close();
      }
    });

    it('an ended run refuses events on every instance; a late client on an instance that never saw it gets it all, and 204 with the end id', async () => {
      const id = `${tag}-over`;
      generations.set(id, new FakeGeneration());
      a.app.get(SseBroadcaster).connect(`runs/${id}`, generations.get(id)!.source$, { end: true });
      generations.get(id)!.tokens.next('only');
      generations.get(id)!.tokens.complete();
      // B has no client on it: Redis refuses (the publish script sees the end).
      let refused: unknown;
      for (let attempt = 0; attempt < 50 && !refused; attempt++) {
        refused = await b.app.get(SseBroadcaster).publish(`runs/${id}`, 'late').then(
          () => undefined,
          (error: unknown) => error,
        );
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(refused).toBeInstanceOf(SseEncodingError);
      expect(String(refused)).toMatch(/has ended: it takes no more events/);
      const late = await SseTestStream.open(b.server, { path: `/runs/${id}` });
      await late.waitForEnd();
      expect(late.events.map((e) => e.event)).toEqual(['token', 'sse-end']);
      const back = await request(b.server).get(`/runs/${id}`).set('last-event-id', late.events[1].id!);
      expect(back.status).toBe(204);
    });

    it('cancelWhenIdle counts the clients of every instance: a run with its client on B keeps going on A', async () => {
      const id = `${tag}-idle`;
      generations.set(id, new FakeGeneration());
      const generation = generations.get(id)!;
      const client = await SseTestStream.open(b.server, { path: `/runs/${id}` });
      await until(() => b.app.get(SseBroadcaster).clientCount(`runs/${id}`) === 1, 'the client on B');
      const asked = jest.spyOn(RedisTransport.prototype, 'countSubscribers');
      try {
        a.app.get(SseBroadcaster).connect(`runs/${id}`, generation.source$, { end: true, cancelWhenIdle: 30 });
        generation.tokens.next('still wanted');
        await client.waitForEvents(1);
        // A's idle clock ran out twice, and twice Redis said B listens.
        await until(() => asked.mock.calls.length >= 2, 'A to ask Redis twice');
        expect(generation.tornDown).toBe(0);
      } finally {
        asked.mockRestore();
      }
      await client.close();
      await until(() => generation.tornDown === 1, 'the source to stop once nobody listens anywhere');
    });
  });
});
