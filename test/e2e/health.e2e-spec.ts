import { TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { HealthController } from '../src/health.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

const hasRedis = redisServerAvailable();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET /health, polled until it answers `status` (bounded). */
async function healthUntil(t: TestApp, status: number, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const response = await request(t.server).get('/health');
    if (response.status === status || Date.now() > deadline) {
      expect(response.status).toBe(status);
      return response;
    }
    await sleep(25);
  }
}

const app = (platform: Platform, transport?: () => RedisTransport) =>
  createTestApp(platform, {
    imports: [
      TerminusModule.forRoot({ logger: false }),
      SseModule.forRootAsync({ useFactory: () => ({ heartbeat: 0, ...(transport ? { transport: transport() } : {}) }) }),
    ],
    controllers: [HealthController, DeliveryController],
  });

describe.each(PLATFORMS)('health indicator on %s', (platform) => {
  describe('in memory', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await app(platform);
    });
    afterAll(() => t?.close());

    it('is up, with the open streams and channels', async () => {
      const idle = await request(t.server).get('/health').expect(200);
      expect(idle.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
      expect(idle.body).toEqual({
        status: 'ok',
        info: { sse: { status: 'up', transport: 'memory', streams: 0, channels: 0 } },
        error: {},
        details: { sse: { status: 'up', transport: 'memory', streams: 0, channels: 0 } },
      });
      const streams = await Promise.all([
        SseTestStream.open(t.server, { path: '/live/a' }),
        SseTestStream.open(t.server, { path: '/live/a/raw' }),
        SseTestStream.open(t.server, { path: '/live/b' }),
      ]);
      const busy = await request(t.server).get('/health').expect(200);
      expect(busy.body.details.sse).toEqual({ status: 'up', transport: 'memory', streams: 3, channels: 2 });
      await Promise.all(streams.map((s) => s.close()));
    });
  });

  (hasRedis ? describe : describe.skip)('on Redis', () => {
    let redis: RedisServer;
    let t: TestApp;
    beforeAll(async () => {
      redis = await RedisServer.start();
      t = await app(platform, () => new RedisTransport({ connection: redis.url, keyPrefix: `health-${platform}:` }));
    });
    afterAll(async () => {
      await t?.close();
      await redis?.destroy();
    });

    it('is up while both connections are ready, down (503) while redis-server is stopped, and up again once it is back', async () => {
      const ready = await healthUntil(t, 200);
      expect(ready.body.details.sse).toEqual({
        status: 'up',
        transport: 'RedisTransport',
        streams: 0,
        channels: 0,
        commandConnection: 'ready',
        subscriptionConnection: 'ready',
        subscribedChannels: 0,
      });

      const streams = await Promise.all([
        SseTestStream.open(t.server, { path: '/live/a' }),
        SseTestStream.open(t.server, { path: '/live/a/raw' }),
        SseTestStream.open(t.server, { path: '/live/b' }),
      ]);
      const up = await request(t.server).get('/health').expect(200);
      expect(up.body).toEqual({
        status: 'ok',
        info: { sse: up.body.details.sse },
        error: {},
        details: {
          sse: {
            status: 'up',
            transport: 'RedisTransport',
            streams: 3,
            channels: 2,
            commandConnection: 'ready',
            subscriptionConnection: 'ready',
            subscribedChannels: 2,
          },
        },
      });

      await redis.stop();
      const down = await healthUntil(t, 503);
      expect(down.body.status).toBe('error');
      expect(down.body.info).toEqual({});
      expect(down.body.error).toEqual(down.body.details);
      const sse = down.body.details.sse;
      expect(sse).toMatchObject({ status: 'down', transport: 'RedisTransport', streams: 3, channels: 2, subscribedChannels: 2 });
      expect(sse.commandConnection).not.toBe('ready');
      expect(sse.message).toMatch(
        /^Redis is not ready \(command connection "\w+", subscription connection "\w+"\): publishes fail and clients of this instance get no new events until both are "ready"/,
      );
      // The clients stay connected meanwhile.
      expect(streams.every((s) => !s.ended)).toBe(true);

      await redis.resume(); // (the same port)
      const back = await healthUntil(t, 200);
      expect(back.body.details.sse).toEqual(up.body.details.sse);
      // Up means it works: a publish reaches the clients again.
      await t.app.get(SseBroadcaster).publish('live/b', 'after');
      await streams[2].waitFor((events) => events.some((e) => e.data === 'after'), { what: 'the event published after the restart' });
      await Promise.all(streams.map((s) => s.close()));
    });
  });
});
