import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();

// The promise: a client either gets every event or a reset event. Two ways Redis
// could break it silently (issue 24 §1), each against a real redis-server of its own.
(hasRedis ? describe : describe.skip)('Redis: no silent gap', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  let test = 0;
  const instance = (platform: Platform, keyPrefix: string) =>
    createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({
            heartbeat: 0,
            channels: { 'live/small': { size: 3 } },
            transport: new RedisTransport({ connection: redis.url, keyPrefix }),
          }),
        }),
      ],
      controllers: [DeliveryController],
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis?.destroy());
  beforeEach(async () => {
    const keyPrefix = `gap${++test}:`;
    [a, b] = await Promise.all([instance('express', keyPrefix), instance('fastify', keyPrefix)]);
  });
  afterEach(() => Promise.all([a?.close(), b?.close()]));

  it('Redis restarted empty: a client resuming on an instance without a copy of what it missed gets a reset, then what came after', async () => {
    const [onA] = [a.app.get(SseBroadcaster)];
    const first = await SseTestStream.open(a.server, { path: '/live/restart/raw' });
    await until(() => onA.clientCount('live/restart') === 1, 'the client on A');
    await onA.publish('live/restart', 'seen');
    const [seen] = await first.waitForEvents(1);
    await first.close();
    await until(() => onA.clientCount('live/restart') === 0, 'the client to leave');
    await onA.publish('live/restart', 'missed 1');
    await onA.publish('live/restart', 'missed 2');
    await redis.restartEmpty(); // both lost
    // A publishes again once its connection is back.
    let after: string | undefined;
    await until(() => {
      onA.publish('live/restart', 'after').then(
        (id) => (after ??= id),
        () => undefined,
      );
      return after !== undefined;
    }, 'a publish after the restart', 10_000);
    const back = await SseTestStream.open(b.server, { path: '/live/restart/raw', headers: { 'last-event-id': seen.id! } });
    const [reset] = await back.waitForEvents(1);
    expect(reset.event).toBe('sse-reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: 'unknown-id', lastEventId: seen.id, channel: 'live/restart' });
    await onA.publish('live/restart', 'later');
    expect((await back.waitForEvents(2))[1].data).toBe('later');
    await back.close();
  });

  it('a failover that lost the newest writes: a client whose id is no longer in the history gets a reset, not what follows a hole', async () => {
    const [onA] = [a.app.get(SseBroadcaster)];
    const first = await SseTestStream.open(a.server, { path: '/live/failover/raw' });
    await until(() => onA.clientCount('live/failover') === 1, 'the client on A');
    const kept = await onA.publish('live/failover', 'kept');
    await onA.publish('live/failover', 'seen');
    const [, seen] = await first.waitForEvents(2);
    await first.close();
    await until(() => onA.clientCount('live/failover') === 0, 'the client to leave');
    await onA.publish('live/failover', 'missed');
    // The promoted replica had only the first event: the Stream is made again from it.
    const admin = new Redis(redis.url);
    try {
      const key = `gap${test}:live/failover`;
      const [[, fields]] = (await admin.xrange(key, kept.split('.')[0], kept.split('.')[0])) as [string, string[]][];
      await admin.del(key);
      await admin.xadd(key, kept.split('.')[0], ...fields);
    } finally {
      admin.disconnect();
    }
    await onA.publish('live/failover', 'after');
    const back = await SseTestStream.open(b.server, { path: '/live/failover/raw', headers: { 'last-event-id': seen.id! } });
    const [reset] = await back.waitForEvents(1);
    expect([reset.event, JSON.parse(reset.data).reason]).toEqual(['sse-reset', 'unknown-id']);
    await back.close();
  });

  it('more events than the history during a lost subscription: a client that stayed connected gets a reset, not a silent gap', async () => {
    const [onA, onB] = [a.app.get(SseBroadcaster), b.app.get(SseBroadcaster)];
    const stream = await SseTestStream.open(b.server, { path: '/live/small/raw' });
    await until(() => onB.clientCount('live/small') === 1, 'the client on B');
    await onA.publish('live/small', 'before');
    await stream.waitForEvents(1);
    const admin = new Redis(redis.url);
    try {
      // B's subscription connection is cut; A publishes 10 events (the history keeps 3) before B is back.
      const clients = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const subscribers = clients
        .split('\n')
        .filter((line) => / sub=[1-9]/.test(line))
        .map((line) => /\bid=(\d+)/.exec(line)![1]);
      expect(subscribers.length).toBeGreaterThan(0);
      for (const id of subscribers) await admin.call('CLIENT', 'KILL', 'ID', id);
    } finally {
      admin.disconnect();
    }
    for (let i = 1; i <= 10; i++) void onA.publish('live/small', `during ${i}`);
    await onA.publish('live/small', 'after');
    const events = await stream.waitFor((all) => all.some((e) => e.data === 'after'), { what: 'the event after the gap', timeout: 15_000 });
    // The oldest of the 10 were trimmed (the history keeps 3) before B read them back: its client is
    // told first, then gets what is left — the newest, in order, each once.
    const seen = events.map((e) => (e.event === 'sse-reset' ? `reset:${JSON.parse(e.data).reason}` : e.data));
    const published = [...Array.from({ length: 10 }, (_, i) => `during ${i + 1}`), 'after'];
    expect(seen.slice(0, 2)).toEqual(['before', 'reset:history-exceeded']);
    expect(seen.slice(2)).toEqual(published.slice(published.length - (seen.length - 2)));
    expect(seen.length - 2).toBeLessThanOrEqual(4);
    await stream.close();
  });
});
