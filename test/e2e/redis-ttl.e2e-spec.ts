import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { startPresenceInstance } from '../src/start-instance.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

/**
 * `history.ttl` on Redis means what it means in memory: how long a channel
 * without clients (on any instance) keeps its history. While an instance is
 * subscribed, the Stream's expiry is kept at ttl + lease (`presenceLease`),
 * renewed every lease / 3, so that a crashed instance's Streams expire too.
 * Read off the Stream's `PTTL` (-1: no expiry), without waiting for the ttl.
 */
const TTL = 60_000;
const LEASE = 600;
/** The expiry of a Stream an instance is subscribed to: above the ttl, at most ttl + lease. */
const watched = (ms: number) => ms > TTL && ms <= TTL + LEASE;
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
          useFactory: () => ({ heartbeat: 0, history: { ttl: TTL }, transport: new RedisTransport({ connection: redis.url, keyPrefix, presenceLease: LEASE }) }),
        }),
      ],
      controllers: [DeliveryController],
    });
  const publish = (t: TestApp, channel: string, data: unknown) => t.app.get(SseBroadcaster).publish(channel, data);
  const open = (t: TestApp, path: string) => SseTestStream.open(t.server, { path });
  const pttl = async (channel: string) => Number(await admin.call('PTTL', keyPrefix + channel));
  const subscribers = async (channel: string) => Number(((await admin.call('PUBSUB', 'NUMSUB', keyPrefix + channel)) as [string, number])[1]);
  /** Reads the Stream's PTTL every 20 ms for `ms`: each reading must be a watched Stream's (renewed, or it would fall to the ttl within a lease). */
  const staysWatched = async (channel: string, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
      const left = await pttl(channel);
      expect({ left, watched: watched(left) }).toEqual({ left, watched: true });
    }
  };

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

  it('(a) while a client is connected on some instance, the Stream expires in ttl + lease, renewed, publishes or not', async () => {
    const stream = await open(b, '/live/ttl-a');
    for (let n = 0; n < 3; n++) {
      await publish(n % 2 ? b : a, 'live/ttl-a', n);
      expect(watched(await pttl('live/ttl-a'))).toBe(true);
    }
    await stream.waitForEvents(3);
    // Over two leases: without renewals it would have fallen below the ttl.
    await staysWatched('live/ttl-a', 2 * LEASE);
    await stream.close();
  });

  it('(b) the expiry starts when the last client (across both instances) leaves, and later publishes do not renew it', async () => {
    const [onA, onB] = await Promise.all([open(a, '/live/ttl-b'), open(b, '/live/ttl-b')]);
    await publish(a, 'live/ttl-b', 'first');
    expect(watched(await pttl('live/ttl-b'))).toBe(true);
    // The client on A leaves: B still has one.
    await onA.close();
    await eventually(() => subscribers('live/ttl-b'), (count) => count === 1, 'A to unsubscribe');
    await publish(b, 'live/ttl-b', 'second');
    // B alone keeps renewing it.
    await staysWatched('live/ttl-b', 2 * LEASE);
    // The last client leaves: the countdown of the ttl starts.
    await onB.close();
    const atLeave = await eventually(() => pttl('live/ttl-b'), (ms) => ms > 0 && ms <= TTL, 'the Stream to get the ttl');
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

  it('(d) a client joining a channel whose Stream counts down the ttl sets it to ttl + lease (from its headers on)', async () => {
    await publish(b, 'live/ttl-d', 1);
    const before = await pttl('live/ttl-d');
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(TTL);
    const stream = await open(a, '/live/ttl-d');
    expect(watched(await pttl('live/ttl-d'))).toBe(true);
    await stream.close();
    await eventually(() => pttl('live/ttl-d'), (ms) => ms > 0 && ms <= TTL, 'the ttl to start again once the client left');
  });

  it('a client joining on a second instance while the first one leaves keeps the Stream at ttl + lease', async () => {
    await publish(a, 'live/ttl-swap', 0);
    for (let round = 0; round < 20; round++) {
      const [from, to] = round % 2 ? [a, b] : [b, a];
      const leaving = await open(from, '/live/ttl-swap');
      const [joining] = await Promise.all([open(to, '/live/ttl-swap'), leaving.close()]);
      await eventually(() => subscribers('live/ttl-swap'), (count) => count === 1, 'one instance subscribed');
      await sleep(20); // (the leaving instance's check, if still on its way)
      expect(watched(await pttl('live/ttl-swap'))).toBe(true);
      await joining.close();
      await eventually(() => pttl('live/ttl-swap'), (ms) => ms > 0 && ms <= TTL, 'the ttl to start');
    }
  });

  it('after Redis drops the Pub/Sub connections, the instances resubscribe and the Stream gets back to ttl + lease from the expiry it got meanwhile', async () => {
    const stream = await open(a, '/live/ttl-cut');
    await publish(a, 'live/ttl-cut', 'before');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // As a publish during the outage would (no subscriber reached): the Stream gets an expiry.
    await admin.call('PEXPIRE', keyPrefix + 'live/ttl-cut', TTL);
    await eventually(() => pttl('live/ttl-cut'), watched, 'the instance to set ttl + lease again');
    await publish(b, 'live/ttl-cut', 'after');
    await stream.waitForEvents(2);
    expect(watched(await pttl('live/ttl-cut'))).toBe(true);
    await stream.close();
  });

  it("an instance shutting down with a channel's last client leaves its Stream expiring", async () => {
    const c = await instance('express');
    try {
      const stream = await open(c, '/live/ttl-shutdown');
      await publish(a, 'live/ttl-shutdown', 1);
      await stream.waitForEvents(1);
      expect(watched(await pttl('live/ttl-shutdown'))).toBe(true);
    } finally {
      await c.close();
    }
    const left = await pttl('live/ttl-shutdown');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(TTL);
  });

  it("an instance killed without shutting down (no unsubscribe) leaves its channel's Stream expiring at most ttl + lease after it died", async () => {
    const { child, port } = await startPresenceInstance([redis.url, keyPrefix, String(LEASE), String(TTL)]);
    try {
      const stream = await SseTestStream.open(`http://127.0.0.1:${port}`, { path: '/lobby/ttl-crash', headers: { 'x-user': 'zed' } });
      await publish(a, 'lobby/ttl-crash', 1);
      await stream.waitForEvents(1);
      await staysWatched('lobby/ttl-crash', LEASE); // (the child renews it)
      child.kill('SIGKILL');
      // Redis drops its connections: nobody is subscribed, nobody unsubscribed.
      await eventually(() => subscribers('lobby/ttl-crash'), (count) => count === 0, 'Redis to drop the killed instance\'s subscription');
      const left = await pttl('lobby/ttl-crash');
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(TTL + LEASE);
      // Nobody renews it: within a lease it is down to the ttl, and counting.
      await eventually(() => pttl('lobby/ttl-crash'), (ms) => ms > 0 && ms <= TTL, 'the expiry to fall to the ttl', 2 * LEASE);
      void stream;
    } finally {
      child.kill('SIGKILL');
    }
  });
});
