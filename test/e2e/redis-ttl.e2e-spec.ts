import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

/**
 * `history.ttl` on Redis means what it means in memory: how long a channel
 * without clients (on any instance) keeps its history. Read off the Stream's
 * `PTTL` (-1: no expiry), without waiting for the ttl.
 */
const TTL = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` every 5 ms until `holds` of its value; fails with `what` (and the last value) after `timeout` ms. */
async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string, timeout = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (holds(value)) {
      return value;
    }
    if (Date.now() - start > timeout) {
      throw new Error(`timed out waiting for ${what} (last: ${String(value)})`);
    }
    await sleep(5);
  }
}

let prefixes = 0;

(redisServerAvailable() ? describe : describe.skip)('Redis transport: history.ttl counts from the last client leaving, on any instance', () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: TestApp;
  let b: TestApp;
  let keyPrefix: string;

  const instance = (platform: Platform) =>
    createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({ heartbeat: 0, history: { ttl: TTL }, transport: new RedisTransport({ connection: redis.url, keyPrefix }) }),
        }),
      ],
      controllers: [DeliveryController],
    });
  const publish = (t: TestApp, channel: string, data: unknown) => t.app.get(SseBroadcaster).publish(channel, data);
  const open = (t: TestApp, path: string) => SseTestStream.open(t.server, { path });
  const pttl = async (channel: string) => Number(await admin.call('PTTL', keyPrefix + channel));
  const subscribers = async (channel: string) => Number(((await admin.call('PUBSUB', 'NUMSUB', keyPrefix + channel)) as [string, number])[1]);

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { lazyConnect: false });
    keyPrefix = `ttl${++prefixes}:`;
    [a, b] = await Promise.all([instance('express'), instance('fastify')]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    admin?.disconnect();
    await redis?.destroy();
  });

  it('(a) while a client is connected on some instance, publishes leave the Stream without an expiry', async () => {
    const stream = await open(b, '/live/ttl-a');
    for (let n = 0; n < 3; n++) {
      await publish(n % 2 ? b : a, 'live/ttl-a', n);
      expect(await pttl('live/ttl-a')).toBe(-1);
    }
    await stream.waitForEvents(3);
    await stream.close();
  });

  it('(b) the expiry starts when the last client (across both instances) leaves, and later publishes do not renew it', async () => {
    const [onA, onB] = await Promise.all([open(a, '/live/ttl-b'), open(b, '/live/ttl-b')]);
    await publish(a, 'live/ttl-b', 'first');
    expect(await pttl('live/ttl-b')).toBe(-1);
    // The client on A leaves: B still has one.
    await onA.close();
    await eventually(() => subscribers('live/ttl-b'), (count) => count === 1, 'A to unsubscribe');
    await publish(b, 'live/ttl-b', 'second');
    expect(await pttl('live/ttl-b')).toBe(-1);
    // The last client leaves: the countdown starts.
    await onB.close();
    const atLeave = await eventually(() => pttl('live/ttl-b'), (ms) => ms > 0, 'the Stream to get an expiry');
    expect(atLeave).toBeLessThanOrEqual(TTL);
    expect(await subscribers('live/ttl-b')).toBe(0);
    await sleep(50);
    await publish(a, 'live/ttl-b', 'third');
    await publish(b, 'live/ttl-b', 'fourth');
    const after = await pttl('live/ttl-b');
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(atLeave - 50);
  });

  it('(c) a channel published to that never had a client gets an expiry of the ttl once, not renewed by later publishes', async () => {
    await publish(a, 'live/ttl-c', 1);
    const first = await pttl('live/ttl-c');
    expect(first).toBeGreaterThan(TTL - 1000);
    expect(first).toBeLessThanOrEqual(TTL);
    await sleep(50);
    await publish(b, 'live/ttl-c', 2);
    await publish(a, 'live/ttl-c', 3);
    const later = await pttl('live/ttl-c');
    expect(later).toBeGreaterThan(0);
    expect(later).toBeLessThanOrEqual(first - 50);
  });

  it('(d) a client joining a channel whose Stream has an expiry removes it (from its headers on)', async () => {
    await publish(b, 'live/ttl-d', 1);
    expect(await pttl('live/ttl-d')).toBeGreaterThan(0);
    const stream = await open(a, '/live/ttl-d');
    expect(await pttl('live/ttl-d')).toBe(-1);
    await stream.close();
    await eventually(() => pttl('live/ttl-d'), (ms) => ms > 0, 'the expiry to start again once the client left');
  });

  it('a client joining on a second instance while the first one leaves keeps the Stream without an expiry', async () => {
    await publish(a, 'live/ttl-swap', 0);
    for (let round = 0; round < 20; round++) {
      const [from, to] = round % 2 ? [a, b] : [b, a];
      const leaving = await open(from, '/live/ttl-swap');
      const [joining] = await Promise.all([open(to, '/live/ttl-swap'), leaving.close()]);
      await eventually(() => subscribers('live/ttl-swap'), (count) => count === 1, 'one instance subscribed');
      await sleep(20); // (the leaving instance's check, if still on its way)
      expect(await pttl('live/ttl-swap')).toBe(-1);
      await joining.close();
      await eventually(() => pttl('live/ttl-swap'), (ms) => ms > 0, 'the expiry to start');
    }
  });

  it('after Redis drops the Pub/Sub connections, the instances resubscribe and the Stream loses the expiry it got meanwhile', async () => {
    const stream = await open(a, '/live/ttl-cut');
    await publish(a, 'live/ttl-cut', 'before');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // As a publish during the outage would (no subscriber reached): the Stream gets an expiry.
    await admin.call('PEXPIRE', keyPrefix + 'live/ttl-cut', TTL);
    await eventually(() => pttl('live/ttl-cut'), (ms) => ms === -1, 'the resubscribed instance to remove the expiry');
    await publish(b, 'live/ttl-cut', 'after');
    await stream.waitForEvents(2);
    expect(await pttl('live/ttl-cut')).toBe(-1);
    await stream.close();
  });

  it("an instance shutting down with a channel's last client leaves its Stream expiring", async () => {
    const c = await instance('express');
    try {
      const stream = await open(c, '/live/ttl-shutdown');
      await publish(a, 'live/ttl-shutdown', 1);
      await stream.waitForEvents(1);
      expect(await pttl('live/ttl-shutdown')).toBe(-1);
    } finally {
      await c.close();
    }
    const left = await pttl('live/ttl-shutdown');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(TTL);
  });
});
