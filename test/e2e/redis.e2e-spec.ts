import { EventSource } from 'eventsource';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { Controller, Sse } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  RedisTransport,
  SseBroadcaster,
  SseChannel,
  SseEncodingError,
  SseModule,
  SseTransportError,
  type SseModuleOptions,
} from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { SSE_MODULE_OPTIONS } from '../../lib/sse.constants.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import { Balancer } from '../src/balancer.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

/** A Redis transport id: `<ms>-<seq>.<tag>`, the Stream id and the channel's tag. */
const STREAM_ID = /^\d+-\d+\.[0-9a-z]{5}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Orders two Redis transport ids of one channel (by their Stream ids). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('.')[0].split('-').map(BigInt);
  const [bm, bs] = b.split('.')[0].split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

function expectIncreasing(ids: (string | undefined)[]): void {
  for (let i = 1; i < ids.length; i++) {
    expect(compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
  }
}

let prefixes = 0;

const hasRedis = redisServerAvailable();

(hasRedis ? describe : describe.skip)('Redis transport', () => {
  let redis: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { lazyConnect: false });
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.destroy();
  });

  /** One app instance on the shared Redis, with the delivery routes. */
  const instance = (platform: Platform, keyPrefix: string, options: Omit<SseModuleOptions, 'global'> = {}) =>
    createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({
            heartbeat: 0,
            channels: { 'live/small': { size: 5 }, 'live/backlog': { size: 5000 } },
            ...options,
            transport: new RedisTransport({ connection: redis.url, keyPrefix }),
          }),
        }),
      ],
      controllers: [DeliveryController],
    });

  describe.each<[Platform, Platform]>([
    ['express', 'fastify'],
    ['fastify', 'express'],
  ])('two instances, A on %s and B on %s', (platformA, platformB) => {
    let a: TestApp;
    let b: TestApp;
    let keyPrefix: string;
    const broadcasterOf = (t: TestApp) => t.app.get(SseBroadcaster);
    const open = (t: TestApp, path: string, headers: Record<string, string> = {}) =>
      SseTestStream.open(t.server, { path, headers });

    beforeAll(async () => {
      keyPrefix = `t${++prefixes}:`;
      [a, b] = await Promise.all([instance(platformA, keyPrefix), instance(platformB, keyPrefix)]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('a publish on A reaches the clients on A and B, with the same ids in the same order', async () => {
      const streams = await Promise.all([open(a, '/live/fan'), open(a, '/live/fan/raw'), open(b, '/live/fan'), open(b, '/live/fan/raw')]);
      const ids: string[] = [];
      for (let n = 0; n < 20; n++) {
        ids.push(await broadcasterOf(n % 2 ? b : a).publish('live/fan', { n }));
      }
      expect(ids.every((id) => STREAM_ID.test(id))).toBe(true);
      expectIncreasing(ids);
      for (const stream of streams) {
        const events = await stream.waitForEvents(20);
        expect(events.map((e) => e.id)).toEqual(ids);
        expect(events.map((e) => JSON.parse(e.data).n)).toEqual([...Array(20).keys()]);
      }
      expect(streams[0].events[0].event).toBe('update');
      expect(streams[1].events[0].event).toBe('message');
      expect(broadcasterOf(a).clientCount('live/fan')).toBe(2);
      expect(broadcasterOf(b).clientCount('live/fan')).toBe(2);
      await Promise.all(streams.map((s) => s.close()));
    });

    it('publishes issued back to back on both instances arrive in one order everywhere', async () => {
      const streams = await Promise.all([open(a, '/live/mixed'), open(b, '/live/mixed')]);
      const published = await Promise.all(
        Array.from({ length: 200 }, (_, n) => broadcasterOf(n % 2 ? b : a).publish('live/mixed', n)),
      );
      const sorted = [...published].sort(compareIds);
      const [onA, onB] = await Promise.all(streams.map((s) => s.waitForEvents(200)));
      expect(onA.map((e) => e.id)).toEqual(sorted);
      expect(onB.map((e) => e.id)).toEqual(sorted);
      // Each instance's own publishes keep their order.
      const fromA = onA.map((e) => Number(e.data)).filter((n) => n % 2 === 0);
      expect(fromA).toEqual([...fromA].sort((x, y) => x - y));
      await Promise.all(streams.map((s) => s.close()));
    });

    it('sends the publishes of one turn to Redis together, in order, also after Redis forgot its scripts', async () => {
      const calls = async (command: string) => {
        const info = (await admin.call('INFO', 'commandstats')) as string;
        return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      };
      const stream = await open(b, '/live/batch');
      // As after a Redis restart: EVALSHA alone would fail with NOSCRIPT.
      await admin.call('SCRIPT', 'FLUSH');
      const [loadsBefore, evalshaBefore] = [await calls('script\\|load'), await calls('evalsha')];
      const published = await Promise.all(Array.from({ length: 50 }, (_, n) => broadcasterOf(a).publish('live/batch', n)));
      // One pipeline: the script once, then the 50 publishes.
      expect(await calls('script\\|load')).toBe(loadsBefore + 1);
      expect(await calls('evalsha')).toBe(evalshaBefore + 50);
      expectIncreasing(published);
      const events = await stream.waitForEvents(50);
      expect(events.map((e) => e.id)).toEqual(published);
      expect(events.map((e) => Number(e.data))).toEqual([...Array(50).keys()]);
      await stream.close();
    });

    it('a client that leaves A and reconnects to B with Last-Event-ID gets exactly the missed events, then live ones', async () => {
      const onA = await open(a, '/live/move');
      const first = [];
      for (let n = 0; n < 3; n++) {
        first.push(await broadcasterOf(a).publish('live/move', `before-${n}`));
      }
      await onA.waitForEvents(3);
      await onA.close();
      const missed = [];
      for (let n = 0; n < 4; n++) {
        missed.push(await broadcasterOf(a).publish('live/move', `missed-${n}`));
      }
      // B has no client on this channel yet: the replay comes from Redis.
      const onB = await open(b, '/live/move', { 'last-event-id': first[2] });
      await onB.waitForEvents(4);
      const live = await broadcasterOf(a).publish('live/move', 'live');
      const events = await onB.waitForEvents(5);
      expect(events.map((e) => e.id)).toEqual([...missed, live]);
      expect(events.map((e) => e.data)).toEqual(['missed-0', 'missed-1', 'missed-2', 'missed-3', 'live']);
      expect(broadcasterOf(b).stats()['live/move'].replayed).toBe(4);
      await onB.close();
    });

    it('a client ahead of B (its id is newer than what B delivered) gets no duplicate', async () => {
      const onB = await open(b, '/live/ahead');
      const ids = [];
      for (let n = 0; n < 3; n++) {
        ids.push(await broadcasterOf(a).publish('live/ahead', n));
      }
      await onB.waitForEvents(3);
      // A second client on B resumes from the newest id: nothing to replay.
      const second = await open(b, '/live/ahead', { 'last-event-id': ids[2] });
      const next = await broadcasterOf(a).publish('live/ahead', 'next');
      await onB.waitForEvents(4);
      const events = await second.waitForEvents(1);
      // A marker published after: once it is there, nothing else came before it.
      const marker = await broadcasterOf(a).publish('live/ahead', 'marker');
      await second.waitForEvents(2);
      expect(second.events.map((e) => e.id)).toEqual([next, marker]);
      expect(events[0].data).toBe('next');
      await Promise.all([onB.close(), second.close()]);
    });

    it('replays a long backlog from Redis in batches at the pace of a tight client, racing with new publishes', async () => {
      const anchor = await broadcasterOf(a).publish('live/backlog', 'anchor');
      const payload = 'z'.repeat(1024);
      const backlog = await Promise.all(Array.from({ length: 1200 }, (_, n) => broadcasterOf(a).publish('live/backlog', { n, payload })));
      const stream = await open(b, '/live/backlog/tight', { 'last-event-id': anchor });
      const racing: Promise<string>[] = [];
      for (let n = 0; n < 50; n++) {
        racing.push(broadcasterOf(n % 2 ? a : b).publish('live/backlog', { n: 1200 + n, payload }));
        await sleep(1);
      }
      const expected = [...backlog, ...(await Promise.all(racing)).sort(compareIds)];
      await stream.waitForEvents(expected.length, 15_000);
      const marker = await broadcasterOf(a).publish('live/backlog', 'marker');
      await stream.waitForEvents(expected.length + 1);
      expect(stream.events.map((e) => e.id)).toEqual([...expected, marker]);
      expect(broadcasterOf(b).stats()['live/backlog'].droppedSlow).toBe(0);
      expect(expected.length).toBe(1250);
      await stream.close();
    });

    it('sends the reset event for an id older than the Redis history, or not an id of this channel', async () => {
      const old = await broadcasterOf(a).publish('live/small', 'old');
      for (let n = 0; n < 10; n++) {
        await broadcasterOf(a).publish('live/small', n);
      }
      const latest = await broadcasterOf(a).publish('live/small', 'latest');
      const stale = await open(b, '/live/small', { 'last-event-id': old });
      const [reset] = await stale.waitForEvents(1);
      expect(reset).toMatchObject({ event: 'sse-reset', id: latest });
      expect(JSON.parse(reset.data)).toEqual({ reason: 'history-exceeded', lastEventId: old, channel: 'live/small' });
      const bogus = await open(a, '/live/small', { 'last-event-id': 'not-a-stream-id' });
      const [unknown] = await bogus.waitForEvents(1);
      expect(JSON.parse(unknown.data)).toMatchObject({ reason: 'unknown-id', lastEventId: 'not-a-stream-id' });
      const future = await open(a, '/live/small', { 'last-event-id': '99999999999999-0' });
      const [ahead] = await future.waitForEvents(1);
      expect(JSON.parse(ahead.data)).toMatchObject({ reason: 'unknown-id' });
      // After the reset they are live.
      const next = await broadcasterOf(b).publish('live/small', 'next');
      for (const stream of [stale, bogus, future]) {
        const events = await stream.waitForEvents(2);
        expect(events[1]).toMatchObject({ id: next, data: 'next' });
      }
      await Promise.all([stale.close(), bogus.close(), future.close()]);
    });

    it('honours a caller id that is a newer stream id, and refuses others with an error naming the id', async () => {
      const stream = await open(b, '/live/caller');
      const id = await broadcasterOf(a).publish('live/caller', 'x', { id: '99999999999990-7' });
      expect(id).toMatch(/^99999999999990-7\.[0-9a-z]{5}$/); // the channel's tag added
      expect(() => broadcasterOf(a).publish('live/caller', 'x', { id: 'order-1' })).toThrow(SseEncodingError);
      expect(() => broadcasterOf(a).publish('live/caller', 'x', { id: 'order-1' })).toThrow(/Invalid SSE id "order-1" for channel "live\/caller": with the Redis transport/);
      expect(() => broadcasterOf(a).publish('live/caller', 'x', { id: ' 99999999999990-8' })).toThrow(/Invalid SSE id " 99999999999990-8": it must not start or end with a space/);
      // B has the channel's last id (it has a client on it): it refuses at once, like any bad input.
      expect(() => broadcasterOf(b).publish('live/caller', 'x', { id: '5-0' })).toThrow(/Invalid SSE id "5-0" .* not greater than the channel's last id/);
      expect(() => broadcasterOf(b).publish('live/caller', 'x', { id: '5-0' })).toThrow(SseEncodingError);
      // A has no client on it, so only Redis can tell: the promise rejects with the same error.
      await expect(broadcasterOf(a).publish('live/caller', 'x', { id: '5-0' })).rejects.toThrow(/Invalid SSE id "5-0" .* not greater than the channel's last id/);
      await expect(broadcasterOf(a).publish('live/caller', 'x', { id: '5-0' })).rejects.toBeInstanceOf(SseEncodingError);
      const after = await broadcasterOf(b).publish('live/caller', 'y');
      expect(compareIds(after, id)).toBeGreaterThan(0);
      const events = await stream.waitForEvents(2);
      expect(events.map((e) => e.id)).toEqual([id, after]);
      await stream.close();
    });

    it('serializes a publish once, and each instance subscribes only to the channels its clients use', async () => {
      const topic = `${keyPrefix}live/once`;
      const subscribed = async () => ((await admin.call('PUBSUB', 'NUMSUB', topic)) as [string, number])[1];
      expect(await subscribed()).toBe(0);
      const streams = await Promise.all([open(a, '/live/once'), open(a, '/live/once/raw'), open(b, '/live/once')]);
      expect(await subscribed()).toBe(2);
      let calls = 0;
      await broadcasterOf(a).publish('live/once', { toJSON: () => (calls++, { counted: true }) });
      await Promise.all(streams.map((s) => s.waitForEvents(1)));
      expect(calls).toBe(1);
      await Promise.all(streams.map((s) => s.close()));
      await until(() => broadcasterOf(a).clientCount('live/once') + broadcasterOf(b).clientCount('live/once') === 0, 'the clients to leave');
      const deadline = Date.now() + 5000;
      while ((await subscribed()) !== 0 && Date.now() < deadline) {
        await sleep(10);
      }
      expect(await subscribed()).toBe(0);
    });

    it('many clients coming and going on many channels leave no channel, subscription or key behind', async () => {
      const transportA = a.app.get<{ transport: unknown }>(SSE_MODULE_OPTIONS).transport as { subscriptions: { channels: Set<string> } };
      for (let round = 0; round < 10; round++) {
        const streams = await Promise.all(
          Array.from({ length: 40 }, (_, n) => open(n % 2 ? a : b, `/live/churn-${n % 20}`, round % 2 ? { 'last-event-id': '1-0' } : {})),
        );
        await broadcasterOf(a).publish(`live/churn-${round}`, round);
        await Promise.all(streams.map((s) => s.close()));
      }
      await until(
        () => [a, b].every((t) => Object.keys(broadcasterOf(t).stats()).filter((name) => name.startsWith('live/churn')).length === 0),
        'every churn channel to be dropped',
      );
      expect([...transportA.subscriptions.channels].filter((name) => name.startsWith('live/churn'))).toEqual([]);
      const deadline = Date.now() + 5000;
      let left: string[];
      do {
        left = (await admin.call('PUBSUB', 'CHANNELS', `${keyPrefix}live/churn*`)) as string[];
      } while (left.length > 0 && Date.now() < deadline && (await sleep(10), true));
      expect(left).toEqual([]);
      // Only the channels that were published to have a Stream, and it expires: history.ttl once the
      // last instance's unsubscribe has reached Redis (its script runs just after the UNSUBSCRIBE).
      let ttl: number;
      do {
        ttl = (await admin.call('PTTL', `${keyPrefix}live/churn-3`)) as number;
      } while (ttl > 600_000 && Date.now() < deadline + 5000 && (await sleep(10), true));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    });

    it('events published while the subscriptions are cut reach every client once they are back, in order, once', async () => {
      const streams = await Promise.all([open(a, '/live/cut'), open(b, '/live/cut')]);
      const before = await broadcasterOf(a).publish('live/cut', 'before');
      await Promise.all(streams.map((s) => s.waitForEvents(1)));
      // Redis drops every Pub/Sub connection; the command connections stay.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      const during = [];
      for (let n = 0; n < 10; n++) {
        during.push(await broadcasterOf(n % 2 ? a : b).publish('live/cut', `during-${n}`));
      }
      const expected = [before, ...during];
      for (const stream of streams) {
        await stream.waitForEvents(expected.length, 10_000);
      }
      const after = await broadcasterOf(b).publish('live/cut', 'after');
      const marker = await broadcasterOf(b).publish('live/cut', 'marker');
      for (const stream of streams) {
        await stream.waitForEvents(expected.length + 2);
        expect(stream.events.map((e) => e.id)).toEqual([...expected, after, marker]);
      }
      await Promise.all(streams.map((s) => s.close()));
    });

    it('a real EventSource behind a round-robin balancer moves from A to B and misses nothing', async () => {
      const balancer = await Balancer.start([a, b].map((t) => Number(new URL(t.url).port)));
      const seen: { data: string; id: string }[] = [];
      const es = new EventSource(`${balancer.url}/live/lb/quick`);
      es.addEventListener('message', (e) => seen.push({ data: e.data, id: e.lastEventId }));
      try {
        await until(() => broadcasterOf(a).clientCount('live/lb') === 1, 'the client on A');
        for (const n of [1, 2, 3]) {
          await broadcasterOf(b).publish('live/lb', `m${n}`);
        }
        await until(() => seen.length === 3, '3 events');
        balancer.cut(); // the connection to A breaks; the balancer sends the reconnect to B
        await until(() => broadcasterOf(a).clientCount('live/lb') === 0, 'A to see the client go');
        const missed = [];
        for (const n of [4, 5, 6]) {
          missed.push(await broadcasterOf(a).publish('live/lb', `m${n}`));
        }
        await until(() => broadcasterOf(b).clientCount('live/lb') === 1 && seen.length === 6, 'the reconnect to B and the replay');
        await broadcasterOf(a).publish('live/lb', 'm7');
        await until(() => seen.length === 7, 'the live event');
        expect(seen.map((e) => e.data)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
        expect(seen.slice(3, 6).map((e) => e.id)).toEqual(missed);
        expect(broadcasterOf(a).clientCount('live/lb')).toBe(0);
      } finally {
        es.close();
        await balancer.close();
      }
    });

    it('an instance that restarts replays from Redis what was published while it was down', async () => {
      const onA = await open(a, '/live/restart');
      const seenId = await broadcasterOf(b).publish('live/restart', 'seen');
      await onA.waitForEvents(1);
      await a.close();
      await onA.waitForEnd();
      const missed = [];
      for (let n = 0; n < 3; n++) {
        missed.push(await broadcasterOf(b).publish('live/restart', `while-down-${n}`));
      }
      a = await instance(platformA, keyPrefix);
      const back = await open(a, '/live/restart', { 'last-event-id': seenId });
      const events = await back.waitForEvents(3);
      expect(events.map((e) => e.id)).toEqual(missed);
      await back.close();
    });
  });

  describe('when redis-server stops and comes back', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      const keyPrefix = `t${++prefixes}:`;
      [a, b] = await Promise.all([instance('express', keyPrefix, { retry: 50 }), instance('fastify', keyPrefix, { retry: 50 })]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('clients stay connected, publishes fail clearly, and delivery and replay resume once Redis is back', async () => {
      const streams = await Promise.all([SseTestStream.open(a.server, { path: '/live/outage' }), SseTestStream.open(b.server, { path: '/live/outage' })]);
      const broadcasterA = a.app.get(SseBroadcaster);
      const broadcasterB = b.app.get(SseBroadcaster);
      const before = await broadcasterA.publish('live/outage', 'before');
      await Promise.all(streams.map((s) => s.waitForEvents(1)));

      await redis.stop();
      // Publishing fails, at once, with a clear error — first, perhaps, for one
      // that was on its way when the connection dropped.
      const failures: Error[] = [];
      const deadline = Date.now() + 5000;
      while (!/not connected/.test(failures.at(-1)?.message ?? '') && Date.now() < deadline) {
        try {
          await broadcasterA.publish('live/outage', 'lost');
          await sleep(20);
        } catch (error) {
          failures.push(error as Error);
        }
      }
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(SseTransportError);
        expect(failure.message).toMatch(/Redis is not connected .*the event for channel "live\/outage" was not published|Lost the connection to Redis before the publish was confirmed/);
      }
      expect(failures.at(-1)!.message).toMatch(/Redis is not connected \(status "(reconnecting|close|end)"\): the event for channel "live\/outage" was not published/);
      // A client of a channel this instance is not subscribed to yet waits for Redis.
      let waitingOpened = false;
      const waiting = SseTestStream.open(b.server, { path: '/live/outage-new' }).then((stream) => {
        waitingOpened = true;
        return stream;
      });
      // The request has reached its channel, which waits for its subscription.
      await until(() => b.app.get(ChannelRegistry).get('live/outage-new')?.waiting === 1, 'the request to wait for the channel');
      expect(waitingOpened).toBe(false);
      // Nobody was disconnected.
      expect(broadcasterA.clientCount('live/outage')).toBe(1);
      expect(broadcasterB.clientCount('live/outage')).toBe(1);
      expect(streams.every((s) => !s.ended)).toBe(true);

      await redis.resume();
      let after: string | undefined;
      const back = Date.now() + 15_000;
      while (after === undefined && Date.now() < back) {
        after = await broadcasterB.publish('live/outage', 'after').catch(() => undefined);
        if (after === undefined) {
          await sleep(50);
        }
      }
      expect(after).toMatch(STREAM_ID);
      expect(compareIds(after!, before)).toBeGreaterThan(0);
      for (const stream of streams) {
        const events = await stream.waitForEvents(2, 15_000);
        await stream.waitFor((all) => all.some((e) => e.id === after), { what: 'the event published after the restart' });
        expect(events[0].id).toBe(before);
        expectIncreasing(events.map((e) => e.id));
        // Nothing refused shows up; one that was on its way when Redis went may (sent again).
        expect(events.map((e) => e.data).filter((data) => data !== 'lost')).toEqual(['before', 'after']);
      }
      const newcomer = await waiting;
      const fresh = await broadcasterA.publish('live/outage-new', 'fresh');
      const [first] = await newcomer.waitForEvents(1);
      expect(first).toMatchObject({ id: fresh, data: 'fresh' });
      await newcomer.close();
      // The history survived the restart: a new client resumes from the first event.
      const late = await SseTestStream.open(a.server, { path: '/live/outage', headers: { 'last-event-id': before } });
      const replayed = await late.waitFor((all) => all.some((e) => e.id === after), { what: 'the replay' });
      expect(replayed.filter((e) => e.data !== 'lost').map((e) => e.id)).toEqual([after]);
      await Promise.all([...streams, late].map((s) => s.close()));
    });
  });

  it('the sample runs on Redis (SSE_REDIS_URL): a chat message posted on one instance shows on the other', async () => {
    const apps = await Promise.all([0, 1].map(() => createSampleApp({ tickMs: 50, redisUrl: redis.url }, false)));
    try {
      const urls = [];
      for (const app of apps) {
        await app.listen(0, '127.0.0.1');
        urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
      }
      const [room, ticker] = await Promise.all([
        SseTestStream.open(urls[1], { path: '/rooms/lobby' }),
        SseTestStream.open(urls[1], { path: '/ticker' }),
      ]);
      const response = await fetch(`${urls[0]}/rooms/lobby`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'ann', text: 'hello from A' }),
      });
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      const [chat] = await room.waitForEvents(1);
      expect(chat).toMatchObject({ event: 'chat', id });
      expect(JSON.parse(chat.data)).toMatchObject({ user: 'ann', text: 'hello from A' });
      // Both instances tick into the one channel.
      const ticks = await ticker.waitFor((events) => new Set(events.map((e) => JSON.parse(e.data).message.split(' from ')[1])).size === 2, {
        what: 'ticks from both instances',
      });
      expect(ticks[0].event).toBe('message');
      // The page's one connection (@SseChannels()) runs on Redis too: a message posted on A, on B's stream.
      expect(await (await fetch(`${urls[0]}/`)).text()).toContain('/events?');
      const page = await SseTestStream.open(urls[1], { path: '/events?room=lobby&user=bob' });
      const posted = await fetch(`${urls[0]}/rooms/lobby`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'ann', text: 'on one connection' }),
      });
      expect(posted.status).toBe(201);
      const onPage = await page.waitFor((events) => events.some((e) => e.event === 'rooms/lobby'), { what: 'the message on the page stream' });
      const message = onPage.find((e) => e.event === 'rooms/lobby')!;
      expect(JSON.parse(message.data)).toMatchObject({ user: 'ann', text: 'on one connection' });
      expect(message.id).toMatch(/^[0-9a-z]+\.[0-9a-z]+$/);
      await Promise.all([room.close(), ticker.close(), page.close()]);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  describe('set-up', () => {
    it('a start-up error found after the transport connected closes it (its connections would keep the process alive)', async () => {
      @Controller()
      class BothController {
        @Sse('both')
        @SseChannel('both')
        both(): void {}
      }
      const clients = async () => String(await admin.call('CLIENT', 'LIST')).trim().split('\n').length;
      const before = await clients();
      const transport = new RedisTransport({ connection: redis.url, keyPrefix: 'boot:' });
      await expect(createTestApp('express', { imports: [SseModule.forRoot({ transport })], controllers: [BothController] })).rejects.toThrow(/@Sse\(\)/);
      expect(transport.health().details).toMatchObject({ commandConnection: 'closed', subscriptionConnection: 'closed' });
      // (Also when the error comes while the transport is still connecting: Nest runs a module's init hooks
      // together, so the close can come first; the connections made after it are closed as they open.)
      await sleep(300);
      expect(await clients()).toBe(before);
    });

    it('refuses bad options with a sentence that names the option', () => {
      expect(() => new RedisTransport({})).toThrow(/give one of "client" \(an ioredis Redis or Cluster\), "connection" \(a redis:\/\/ URL or ioredis options\) and "cluster"/);
      expect(() => new RedisTransport({ connection: redis.url, client: admin as never })).toThrow(/not several/);
      expect(() => new RedisTransport({ connection: redis.url, keyPrefx: 'x' } as never)).toThrow(/Unknown option "keyPrefx" in RedisTransport options/);
      expect(() => new RedisTransport({ connection: 42 as never })).toThrow(/Invalid RedisTransport options\.connection 42/);
      expect(() => new RedisTransport({ client: {} as never })).toThrow(/Invalid RedisTransport options\.client/);
      const prefixed = new Redis(redis.url, { lazyConnect: true, keyPrefix: 'app:' });
      expect(() => new RedisTransport({ client: prefixed as never })).toThrow(/keyPrefix "app:"/);
      prefixed.disconnect();
      expect(() => SseModule.forRoot({ transport: {} as never })).toThrow(/Invalid SseModule options\.transport .*not a transport/);
    });

    it('works with a client of your own, which it leaves open on shutdown', async () => {
      const client = new Redis(redis.url);
      const t = await createTestApp('express', {
        imports: [SseModule.forRootAsync({ useFactory: () => ({ heartbeat: 0, transport: new RedisTransport({ client: client as never, keyPrefix: `t${++prefixes}:` }) }) })],
        controllers: [DeliveryController],
      });
      try {
        const stream = await SseTestStream.open(t.server, { path: '/live/own' });
        const id = await t.app.get(SseBroadcaster).publish('live/own', 'mine');
        const [event] = await stream.waitForEvents(1);
        expect(event).toMatchObject({ id, data: 'mine' });
        await stream.close();
      } finally {
        await t.close();
      }
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    });

    it('works on an ioredis v5 client, next to an instance on v6, with the same ids', async () => {
      const v5 = JSON.parse(readFileSync(new URL('../../node_modules/ioredis5/package.json', import.meta.url), 'utf8')).version;
      expect(v5).toMatch(/^5\./);
      const client = new Redis5(redis.url);
      const keyPrefix = `t${++prefixes}:`;
      const onV5 = await createTestApp('fastify', {
        imports: [SseModule.forRootAsync({ useFactory: () => ({ heartbeat: 0, transport: new RedisTransport({ client: client as never, keyPrefix }) }) })],
        controllers: [DeliveryController],
      });
      const onV6 = await instance('express', keyPrefix);
      try {
        const streams = await Promise.all([SseTestStream.open(onV5.server, { path: '/live/v5' }), SseTestStream.open(onV6.server, { path: '/live/v5' })]);
        const ids = await Promise.all([
          onV5.app.get(SseBroadcaster).publish('live/v5', 'from v5'),
          onV6.app.get(SseBroadcaster).publish('live/v5', 'from v6'),
        ]);
        const sorted = [...ids].sort(compareIds);
        for (const stream of streams) {
          const events = await stream.waitForEvents(2);
          expect(events.map((e) => e.id)).toEqual(sorted);
          expect(events.map((e) => e.data).sort()).toEqual(['from v5', 'from v6']);
        }
        // A client that moves from the v6 instance to the v5 one resumes there.
        const resumed = await SseTestStream.open(onV5.server, { path: '/live/v5', headers: { 'last-event-id': sorted[0] } });
        expect((await resumed.waitForEvents(1)).map((e) => e.id)).toEqual([sorted[1]]);
        await Promise.all([...streams, resumed].map((s) => s.close()));
      } finally {
        await Promise.all([onV5.close(), onV6.close()]);
      }
      expect(client.status).toBe('ready');
      client.disconnect();
    });

    it('refuses to serve two applications with one transport instance', async () => {
      const transport = new RedisTransport({ connection: redis.url, keyPrefix: `t${++prefixes}:` });
      const first = await createTestApp('express', { imports: [SseModule.forRoot({ transport })] });
      try {
        await expect(createTestApp('express', { imports: [SseModule.forRoot({ transport })] })).rejects.toThrow(
          /already serves another application. Create one per application/,
        );
      } finally {
        await first.close();
      }
    });

    it('says at start-up how to install ioredis when it is missing', async () => {
      const output = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', './test/src/hide-package.mjs', 'test/src/redis-start.mjs', redis.url], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, SSE_HIDE_PACKAGE: 'ioredis' },
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(output.code).toBe(1);
      expect(output.stderr).toMatch(/RedisTransport needs the package "ioredis" \(v5 or v6\), an optional peer dependency of nestjs-sse-channel that is not installed\. Run: npm install ioredis/);
    });
  });
});
