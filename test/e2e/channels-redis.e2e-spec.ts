import { Controller, Headers, Query } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseChannels, SseModule } from '../../lib/index.js';
import { SseTestStream, type SseTestEvent } from '../../lib/testing/index.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

@Controller('events')
class EventsController {
  /** `news`, the caller's rooms (`?room=`) and long channels (`?long=`), and its inbox when it says who it is. */
  @SseChannels({ retry: 50, maxChannels: 4 })
  channels(@Query('room') rooms: string[] | string = [], @Query('long') long: string[] | string = [], @Headers('x-user') user?: string) {
    const named = (prefix: string, ids: string[] | string) => [ids].flat().map((id) => `${prefix}/${id}`);
    return ['news', ...named('rooms', rooms), ...named('long', long), ...(user ? [`users/${user}`] : [])];
  }

  @SseChannels('lobby', { presence: true })
  lobby() {
    return ['lobby/a', 'lobby/b'];
  }
}

const pairs = (events: readonly SseTestEvent[]) => events.map((e) => [e.event, e.data]);

(hasRedis ? describe : describe.skip)('@SseChannels() on Redis (two instances)', () => {
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
    let onA: SseBroadcaster;
    let onB: SseBroadcaster;
    let keyPrefix: string;
    let test = 0;
    const instance = (platform: Platform) =>
      createTestApp(platform, {
        imports: [
          SseModule.forRootAsync({
            useFactory: () => ({
              heartbeat: 0,
              identities: { identify: (req: { headers: Record<string, string | string[] | undefined> }) => header(req.headers['x-user']), presenceLeaveDelay: 0 },
              channels: { 'rooms/:id': { size: 3 }, 'long/:id': { size: 300 }, news: { size: 100 } },
              transport: new RedisTransport({ connection: redis.url, keyPrefix }),
            }),
          }),
        ],
        controllers: [EventsController],
      });
    const open = (on: TestApp, path: string, headers: Record<string, string> = {}) => SseTestStream.open(on.server, { path, headers });

    beforeEach(async () => {
      // (A key prefix per test: every test starts with a sequence and channels of its own.)
      keyPrefix = `mux-${platformA}-${platformB}-${++test}:`;
      [a, b] = await Promise.all([instance(platformA), instance(platformB)]);
      [onA, onB] = [a.app.get(SseBroadcaster), b.app.get(SseBroadcaster)];
    });
    afterEach(() => Promise.all([a?.close(), b?.close()]));

    it('a stream on B carries the channels published on A, in publish order, one cursor as id', async () => {
      const stream = await open(b, '/events?room=1&room=2');
      await until(() => onB.clientCount('rooms/2') === 1, 'the stream on B');
      for (const [channel, data] of [['news', 'n1'], ['rooms/1', 'a'], ['rooms/3', 'not mine'], ['rooms/2', 'b'], ['news', 'n2']]) {
        await onA.publish(channel, data);
      }
      const events = await stream.waitForEvents(4);
      expect(pairs(events)).toEqual([
        ['news', 'n1'],
        ['rooms/1', 'a'],
        ['rooms/2', 'b'],
        ['news', 'n2'],
      ]);
      expect(events.every((e) => /^[0-9a-z]+\.[0-9a-z]+$/.test(e.id!) && e.id!.length <= 64)).toBe(true);
      expect(new Set(events.map((e) => e.id)).size).toBe(4);
      await stream.close();
    });

    it('cut on B, resumed with its cursor on A and then on B: exactly what it missed of every channel, then live', async () => {
      const first = await open(b, '/events?room=1&room=2');
      await until(() => onB.clientCount('rooms/1') === 1, 'the stream on B');
      await onA.publish('news', 'n1');
      await onA.publish('rooms/1', 'a1');
      const seen = await first.waitForEvents(2);
      await first.close();
      await until(() => onB.clientCount('news') === 0, 'the stream to end');
      for (const [channel, data] of [['rooms/2', 'b1'], ['news', 'n2'], ['rooms/9', 'other'], ['rooms/1', 'a2'], ['rooms/2', 'b2']]) {
        await onA.publish(channel, data);
      }
      const missed = [
        ['rooms/2', 'b1'],
        ['news', 'n2'],
        ['rooms/1', 'a2'],
        ['rooms/2', 'b2'],
      ];
      // On the other instance (nothing of these channels in its memory: read from Redis).
      const onOther = await open(a, '/events?room=1&room=2', { 'last-event-id': seen[1].id! });
      expect(pairs(await onOther.waitForEvents(4))).toEqual(missed);
      await onB.publish('rooms/1', 'live');
      const withLive = await onOther.waitForEvents(5);
      expect(pairs(withLive).at(-1)).toEqual(['rooms/1', 'live']);
      await onOther.close();
      // Back on B from the same first cursor, and from the middle of the replay: exact both times.
      const again = await open(b, '/events?room=1&room=2', { 'last-event-id': seen[1].id! });
      expect(pairs(await again.waitForEvents(5))).toEqual([...missed, ['rooms/1', 'live']]);
      await again.close();
      const fromMiddle = await open(b, '/events?room=1&room=2', { 'last-event-id': withLive[1].id! });
      await onA.publish('news', 'n3');
      expect(pairs(await fromMiddle.waitForEvents(4))).toEqual([...missed.slice(2), ['rooms/1', 'live'], ['news', 'n3']]);
      await fromMiddle.close();
    });

    it('more missed than one read per channel (100), on two channels interleaved: every event once, in order, on either instance', async () => {
      const first = await open(a, '/events?long=1');
      await until(() => onA.clientCount('long/1') === 1, 'the stream');
      await onB.publish('news', 'start');
      const [start] = await first.waitForEvents(1);
      await first.close();
      await until(() => onA.clientCount('news') === 0, 'the stream to end');
      const published: string[][] = [];
      for (let i = 0; i < 250; i++) {
        const channel = i % 3 === 0 ? 'news' : 'long/1'; // news: 84 events, long/1: 166 (two reads)
        published.push([channel, `e${i}`]);
        void onB.publish(channel, `e${i}`);
      }
      await onB.publish('news', 'last');
      published.push(['news', 'last']);
      for (const on of [b, a]) {
        const back = await open(on, '/events?long=1', { 'last-event-id': start.id! });
        const events = await back.waitForEvents(published.length);
        expect(pairs(events)).toEqual(published);
        expect(events.some((e) => e.event.endsWith('#sse-reset'))).toBe(false);
        await back.close();
      }
    });

    it('a channel whose missed events fell out of its Redis history gets its own reset; the others resume exactly', async () => {
      const first = await open(b, '/events?room=1');
      await until(() => onB.clientCount('rooms/1') === 1, 'the stream');
      await onA.publish('news', 'n1');
      const [last] = await first.waitForEvents(1);
      await first.close();
      await until(() => onB.clientCount('news') === 0, 'the stream to end');
      for (const data of ['a1', 'a2', 'a3', 'a4']) {
        await onA.publish('rooms/1', data); // history keeps 3
      }
      await onA.publish('news', 'n2');
      const back = await open(a, '/events?room=1', { 'last-event-id': last.id! });
      const events = await back.waitForEvents(5);
      expect(events[0].event).toBe('rooms/1#sse-reset');
      expect(JSON.parse(events[0].data)).toEqual({ reason: 'history-exceeded', lastEventId: last.id, channel: 'rooms/1' });
      expect(events[0].id).toBeUndefined();
      expect(pairs(events.slice(1))).toEqual([
        ['rooms/1', 'a2'],
        ['rooms/1', 'a3'],
        ['rooms/1', 'a4'],
        ['news', 'n2'],
      ]);
      await back.close();
    });

    it('a cursor of a sequence Redis no longer has (its data lost) or a made-up one: one reset per channel, then live', async () => {
      const first = await open(a, '/events?room=1');
      await until(() => onA.clientCount('rooms/1') === 1, 'the stream');
      await onB.publish('news', 'n1');
      const [last] = await first.waitForEvents(1);
      await first.close();
      await until(() => onA.clientCount('news') === 0, 'the stream to end');
      const admin = new Redis(redis.url);
      try {
        // Redis loses this app's data (a restart without persistence): a new sequence is made at the next publish.
        const keys = await admin.keys(`${keyPrefix}*`);
        await admin.del(...keys);
      } finally {
        admin.disconnect();
      }
      await onB.publish('news', 'after the loss');
      for (const cursor of [last.id!, 'madeup.5', 'not a cursor']) {
        const back = await open(b, '/events?room=1', { 'last-event-id': cursor });
        const resets = await back.waitForEvents(2);
        expect(resets.map((e) => [e.event, JSON.parse(e.data).reason, e.id])).toEqual([
          ['news#sse-reset', 'unknown-id', undefined],
          ['rooms/1#sse-reset', 'unknown-id', undefined],
        ]);
        await until(() => onB.clientCount('rooms/1') === 1, 'the stream to be live');
        await onA.publish('rooms/1', `live after ${cursor}`);
        expect(pairs(await back.waitForEvents(3)).at(-1)).toEqual(['rooms/1', `live after ${cursor}`]);
        await back.close();
        await until(() => onB.clientCount('rooms/1') === 0, 'the stream to end');
      }
    });

    it('a channel whose Stream expired while the client was away and was made again: unknown-id with its new events; the others exact', async () => {
      const first = await open(b, '/events?room=1');
      await until(() => onB.clientCount('rooms/1') === 1, 'the stream');
      await onA.publish('rooms/1', 'a1');
      const [last] = await first.waitForEvents(1);
      await first.close();
      await until(() => onB.clientCount('news') === 0, 'the stream to end');
      await onA.publish('rooms/1', 'a2'); // missed, then lost with the Stream
      const admin = new Redis(redis.url);
      try {
        await admin.del(`${keyPrefix}rooms/1`); // (what history.ttl does to a Stream nobody watches)
      } finally {
        admin.disconnect();
      }
      await onA.publish('news', 'n1');
      await onA.publish('rooms/1', 'a3');
      const back = await open(a, '/events?room=1', { 'last-event-id': last.id! });
      const events = await back.waitForEvents(3);
      expect(events.map((e) => [e.event, e.event.endsWith('#sse-reset') ? JSON.parse(e.data).reason : e.data])).toEqual([
        ['rooms/1#sse-reset', 'unknown-id'],
        ['news', 'n1'],
        ['rooms/1', 'a3'],
      ]);
      await back.close();
    });

    it('presence per channel across instances: joins and leaves name their channel and who', async () => {
      const ann = await open(b, '/events/lobby', { 'x-user': 'ann' });
      const joined = await ann.waitForEvents(2); // her own joins
      expect(joined.map((e) => [e.event, JSON.parse(e.data).identity]).sort()).toEqual([
        ['lobby/a#sse-join', 'ann'],
        ['lobby/b#sse-join', 'ann'],
      ]);
      const bob = await open(a, '/events/lobby', { 'x-user': 'bob' });
      const both = await ann.waitForEvents(4);
      expect(both.slice(2).map((e) => [e.event, JSON.parse(e.data).identity]).sort()).toEqual([
        ['lobby/a#sse-join', 'bob'],
        ['lobby/b#sse-join', 'bob'],
      ]);
      await bob.close();
      const left = await ann.waitForEvents(6);
      expect(left.slice(4).map((e) => [e.event, JSON.parse(e.data).identity]).sort()).toEqual([
        ['lobby/a#sse-leave', 'bob'],
        ['lobby/b#sse-leave', 'bob'],
      ]);
      await ann.close();
    });

    it('to / except hold on such streams across instances', async () => {
      const ann = await open(b, '/events?room=p', { 'x-user': 'ann' });
      await until(() => onB.clientCount('rooms/p') === 1, 'ann on B');
      const bob = await open(a, '/events?room=p', { 'x-user': 'bob' });
      await until(() => onA.clientCount('rooms/p') === 1, 'bob on A');
      await onA.publish('rooms/p', 'for ann', { to: ['ann'] });
      await onB.publish('rooms/p', 'not for ann', { except: ['ann'] });
      await onA.publish('news', 'all');
      expect(pairs(await ann.waitForEvents(2))).toEqual([
        ['rooms/p', 'for ann'],
        ['news', 'all'],
      ]);
      expect(pairs(await bob.waitForEvents(2))).toEqual([
        ['rooms/p', 'not for ann'],
        ['news', 'all'],
      ]);
      await Promise.all([ann.close(), bob.close()]);
    });

    it('subscribe() / unsubscribe() on A change the identity\'s streams on B, live; maxChannels holds there', async () => {
      const stream = await open(b, '/events', { 'x-user': 'u1' }); // news, users/u1
      const other = await open(b, '/events', { 'x-user': 'u2' });
      await until(() => onB.clientCount('users/u2') === 1, 'the streams on B');
      await onA.subscribe('u1', 'rooms/7');
      await until(() => onB.clientCount('rooms/7') === 1, 'rooms/7 added on B');
      await onA.publish('rooms/7', 'hello');
      await onA.publish('news', 'n1');
      expect(pairs(await stream.waitForEvents(2))).toEqual([
        ['rooms/7', 'hello'],
        ['news', 'n1'],
      ]);
      await onA.subscribe('u1', 'rooms/8'); // 4 channels: at the limit
      await until(() => onB.clientCount('rooms/8') === 1, 'rooms/8 added on B');
      await onA.subscribe('u1', 'rooms/9'); // over it on B: B keeps what the stream has
      await onA.unsubscribe('u1', 'rooms/7');
      await until(() => onB.clientCount('rooms/7') === 0, 'rooms/7 removed on B');
      expect(onB.clientCount('rooms/9')).toBe(0);
      await onA.publish('rooms/7', 'gone');
      await onA.publish('rooms/8', 'still');
      expect(pairs(await stream.waitForEvents(3)).at(-1)).toEqual(['rooms/8', 'still']);
      expect(pairs(other.events)).toEqual([['news', 'n1']]);
      await Promise.all([stream.close(), other.close()]);
    });

    it('Redis restarts: a stream of many channels reconnects once the subscription is back and resumes every channel exactly (a real EventSource)', async () => {
      const seen: string[] = [];
      let opened = 0;
      const source = new EventSource(`${b.url}/events?room=r`);
      source.onopen = () => opened++;
      for (const name of ['news', 'rooms/r']) {
        source.addEventListener(name, (e) => seen.push(`${name}:${e.data}`));
      }
      try {
        await until(() => onB.clientCount('rooms/r') === 1, 'the stream on B');
        await onA.publish('news', 'before');
        await until(() => seen.length === 1, 'the first event');
        await redis.stop();
        await redis.resume(); // (the same port and data)
        await until(() => opened >= 2, 'the stream to reconnect once the subscription is back', 15_000);
        // (A's own connection may come back a little later: a publish refused before it is sent is tried again.)
        for (let tries = 0; ; tries++) {
          try {
            await onA.publish('rooms/r', 'r1');
            break;
          } catch (error) {
            if (tries > 100 || !/Redis is not connected/.test(String(error))) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        await onA.publish('news', 'after');
        await onA.publish('rooms/r', 'r2');
        await until(() => seen.length === 4, 'the events published after the restart');
        expect(seen).toEqual(['news:before', 'rooms/r:r1', 'news:after', 'rooms/r:r2']);
      } finally {
        source.close();
      }
    });

    it('a run that ends on such a stream: its end event, then it leaves; the stream stays (a real EventSource on B)', async () => {
      const events: string[] = [];
      const source = new EventSource(`${b.url}/events?room=run`);
      for (const name of ['news', 'rooms/run', 'rooms/run#sse-end']) {
        source.addEventListener(name, (e) => events.push(`${name}:${e.data}`));
      }
      try {
        await until(() => onB.clientCount('rooms/run') === 1, 'the stream on B');
        await onA.publish('rooms/run', 'token');
        await onA.end('rooms/run');
        await until(() => onB.clientCount('rooms/run') === 0, 'the run channel to leave the stream');
        await onA.publish('news', 'still here');
        await until(() => events.length === 3, 'the news after the end');
        expect(events).toEqual(['rooms/run:token', 'rooms/run#sse-end:{"channel":"rooms/run","reason":"ended"}', 'news:still here']);
        expect(source.readyState).toBe(EventSource.OPEN);
      } finally {
        source.close();
      }
    });
  });
});
