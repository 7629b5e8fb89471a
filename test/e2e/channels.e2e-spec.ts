import { Controller, ForbiddenException, Headers, Query } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { of } from 'rxjs';
import { SseBroadcaster, SseChannels, SseModule, type SseTransport } from '../../lib/index.js';
import { SseTestStream, type SseTestEvent } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { stuckClient } from '../src/stuck-client.js';
import { until } from '../src/until.js';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

@Controller('events')
class EventsController {
  /** `news`, the caller's rooms (`?room=`), and its inbox when it says who it is; room "secret" is refused. */
  @SseChannels({ retry: 50 })
  channels(@Query('room') rooms: string[] | string = [], @Headers('x-user') user?: string) {
    const wanted = [rooms].flat();
    if (wanted.includes('secret')) {
      throw new ForbiddenException('not your room');
    }
    return ['news', ...wanted.map((id) => `rooms/${id}`), ...(user ? [`users/${user}`] : [])];
  }

  @SseChannels('bad')
  bad() {
    return ['news', 'a\nb'];
  }

  @SseChannels('capped', { maxChannels: 2 })
  capped(@Query('n') n = '1') {
    return Promise.resolve(Array.from({ length: Number(n) }, (_, i) => `c/${i}`));
  }

  @SseChannels('lobby', { presence: true, identify: (req: { headers: Record<string, string | string[] | undefined> }) => header(req.headers['x-user']) })
  lobby() {
    return ['lobby/a', 'lobby/b'];
  }
}

const pairs = (events: readonly SseTestEvent[]) => events.map((e) => [e.event, e.data]);

describe.each(PLATFORMS)('@SseChannels() on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, headers: Record<string, string> = {}) => SseTestStream.open(t.server, { path, headers });

  beforeEach(async () => {
    t = await createTestApp(platform, {
      imports: [
        SseModule.forRoot({
          heartbeat: 0,
          identities: { identify: (req: { headers: Record<string, string | string[] | undefined> }) => header(req.headers['x-user']) },
          channels: { 'rooms/:id': { size: 3 } },
        }),
      ],
      controllers: [EventsController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterEach(() => t.close());

  it('carries every channel the handler returns, each frame named by its channel, in publish order', async () => {
    const stream = await open('/events?room=1&room=2');
    expect(stream.status).toBe(200);
    await until(() => broadcaster.clientCount('rooms/2') === 1, 'the stream to join');
    for (const [channel, data] of [['news', 'n1'], ['rooms/1', 'a'], ['rooms/3', 'not mine'], ['rooms/2', 'b'], ['news', 'n2']]) {
      void broadcaster.publish(channel, data);
    }
    void broadcaster.publish('rooms/1', 'chat', { event: 'chat' });
    const events = await stream.waitForEvents(5);
    expect(pairs(events)).toEqual([
      ['news', 'n1'],
      ['rooms/1', 'a'],
      ['rooms/2', 'b'],
      ['news', 'n2'],
      ['rooms/1#chat', 'chat'],
    ]);
    // One cursor for the whole stream: short, and new for every frame.
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
    expect(events.every((e) => /^[0-9a-z]+\.[0-9a-z]+$/.test(e.id!) && e.id!.length <= 64)).toBe(true);
    await stream.close();
  });

  it('a client back with the last cursor gets, for every channel, exactly what it missed — then live events', async () => {
    const first = await open('/events?room=1&room=2');
    await until(() => broadcaster.clientCount('rooms/1') === 1, 'the stream to join');
    ['n1', 'n2'].forEach((data) => void broadcaster.publish('news', data));
    void broadcaster.publish('rooms/1', 'a1');
    const seen = await first.waitForEvents(3);
    await first.close();
    await until(() => broadcaster.clientCount('news') === 0, 'the stream to end');
    // Published while it is away, interleaved across its channels (and one it does not carry).
    for (const [channel, data] of [['rooms/2', 'b1'], ['news', 'n3'], ['rooms/9', 'other'], ['rooms/1', 'a2'], ['rooms/2', 'b2']]) {
      void broadcaster.publish(channel, data);
    }
    const missed = [
      ['rooms/2', 'b1'],
      ['news', 'n3'],
      ['rooms/1', 'a2'],
      ['rooms/2', 'b2'],
    ];
    const back = await open('/events?room=1&room=2', { 'last-event-id': seen[2].id! });
    expect(pairs(await back.waitForEvents(4))).toEqual(missed);
    void broadcaster.publish('rooms/1', 'live');
    expect(pairs(await back.waitForEvents(5)).at(-1)).toEqual(['rooms/1', 'live']);
    await back.close();
    // The same through ?lastEventId= (clients that cannot set headers): the live one is missed too now.
    const byQuery = await open(`/events?room=1&room=2&lastEventId=${encodeURIComponent(seen[2].id!)}`);
    expect(pairs(await byQuery.waitForEvents(5))).toEqual([...missed, ['rooms/1', 'live']]);
    await byQuery.close();
  });

  it('a channel whose missed events fell out of its history gets its own reset; the others resume exactly', async () => {
    const first = await open('/events?room=1');
    await until(() => broadcaster.clientCount('rooms/1') === 1, 'the stream to join');
    void broadcaster.publish('news', 'n1');
    const [last] = await first.waitForEvents(1);
    await first.close();
    await until(() => broadcaster.clientCount('news') === 0, 'the stream to end');
    ['a1', 'a2', 'a3', 'a4'].forEach((data) => void broadcaster.publish('rooms/1', data)); // history keeps 3
    void broadcaster.publish('news', 'n2');
    const back = await open('/events?room=1', { 'last-event-id': last.id! });
    const events = await back.waitForEvents(5);
    expect(events[0].event).toBe('rooms/1#sse-reset');
    expect(JSON.parse(events[0].data)).toEqual({ reason: 'history-exceeded', lastEventId: last.id, channel: 'rooms/1' });
    expect(pairs(events.slice(1))).toEqual([
      ['rooms/1', 'a2'],
      ['rooms/1', 'a3'],
      ['rooms/1', 'a4'],
      ['news', 'n2'],
    ]);
    await back.close();
  });

  it('a cursor it cannot read (forged, another process\'s) gets one reset per channel, then live events only', async () => {
    void broadcaster.publish('news', 'before');
    for (const forged of ['zzzz.1', 'not a cursor', `${'a'.repeat(70)}.1`]) {
      const stream = await open('/events?room=1', { 'last-event-id': forged });
      const resets = await stream.waitForEvents(2);
      expect(resets.map((e) => [e.event, JSON.parse(e.data).reason, JSON.parse(e.data).channel])).toEqual([
        ['news#sse-reset', 'unknown-id', 'news'],
        ['rooms/1#sse-reset', 'unknown-id', 'rooms/1'],
      ]);
      void broadcaster.publish('rooms/1', 'live');
      expect(pairs(await stream.waitForEvents(3)).at(-1)).toEqual(['rooms/1', 'live']);
      expect(stream.events.some((e) => e.data === 'before')).toBe(false);
      await stream.close();
    }
  });

  it('the handler authorizes: its 403 is the response, before any byte of a stream; nothing joins', async () => {
    const stream = await open('/events?room=1&room=secret');
    await stream.waitForEnd();
    expect(stream.status).toBe(403);
    expect(JSON.parse(stream.body)).toMatchObject({ statusCode: 403, message: 'not your room' });
    expect(broadcaster.clientCount('news')).toBe(0);
  });

  it('a bad channel name from the handler is a 500; more than maxChannels a 400 naming the limit; duplicates count once', async () => {
    const bad = await open('/events/bad');
    await bad.waitForEnd();
    expect(bad.status).toBe(500);
    const many = await open('/events/capped?n=3');
    await many.waitForEnd();
    expect(many.status).toBe(400);
    expect(JSON.parse(many.body).message).toBe('Too many channels for one stream: 3, and this route carries at most 2 (its maxChannels option).');
    const ok = await open('/events/capped?n=2');
    expect(ok.status).toBe(200);
    await ok.close();
    const twice = await open('/events?room=1&room=1');
    await until(() => broadcaster.clientCount('rooms/1') === 1, 'one membership');
    void broadcaster.publish('rooms/1', 'once');
    await twice.waitForEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(twice.events).toHaveLength(1);
    await twice.close();
  });

  it('a run that ends on such a stream gives its end event and leaves it; the stream goes on', async () => {
    const stream = await open('/events?room=run');
    await until(() => broadcaster.clientCount('rooms/run') === 1, 'the stream to join');
    broadcaster.connect('rooms/run', of('token'), { end: true });
    const events = await stream.waitForEvents(2);
    expect(pairs(events)).toEqual([
      ['rooms/run', 'token'],
      ['rooms/run#sse-end', JSON.stringify({ channel: 'rooms/run', reason: 'complete' })],
    ]);
    await until(() => broadcaster.clientCount('rooms/run') === 0, 'the run to be left');
    void broadcaster.publish('news', 'still here');
    expect(pairs(await stream.waitForEvents(3)).at(-1)).toEqual(['news', 'still here']);
    expect(stream.ended).toBe(false);
    await stream.close();
  });

  it('presence and targeted events per channel; the stream counts once', async () => {
    const ann = await open('/events/lobby', { 'x-user': 'ann' });
    const bob = await open('/events/lobby', { 'x-user': 'bob' });
    await until(() => broadcaster.clientCount('lobby/b') === 2, 'both to join');
    expect(broadcaster.totals().streams).toBe(2);
    const joins = await ann.waitForEvents(4);
    expect(joins.map((e) => e.event).sort()).toEqual(['lobby/a#sse-join', 'lobby/a#sse-join', 'lobby/b#sse-join', 'lobby/b#sse-join']);
    void broadcaster.publish('lobby/a', 'for bob', { to: 'bob' });
    void broadcaster.publish('lobby/b', 'for all');
    // (bob joined after ann: he sees his own joins, then the two events.)
    expect(pairs(await bob.waitForEvents(4)).slice(-2)).toEqual([
      ['lobby/a', 'for bob'],
      ['lobby/b', 'for all'],
    ]);
    expect(pairs(await ann.waitForEvents(5)).at(-1)).toEqual(['lobby/b', 'for all']);
    await Promise.all([ann.close(), bob.close()]);
  });

  it('subscribe() adds a channel to every open stream of an identity, live from then on; unsubscribe() removes it; the stream goes on', async () => {
    const [ann1, ann2, bob] = await Promise.all([
      open('/events', { 'x-user': 'ann' }),
      open('/events', { 'x-user': 'ann' }),
      open('/events', { 'x-user': 'bob' }),
    ]);
    await until(() => broadcaster.clientCount('news') === 3, 'the streams to join');
    void broadcaster.publish('rooms/7', 'before');
    await broadcaster.subscribe('ann', 'rooms/7');
    await broadcaster.subscribe('ann', 'rooms/7'); // (once per stream)
    expect(broadcaster.clientCount('rooms/7')).toBe(2);
    void broadcaster.publish('rooms/7', 'after');
    for (const ann of [ann1, ann2]) {
      expect(pairs(await ann.waitForEvents(1))).toEqual([['rooms/7', 'after']]);
    }
    await broadcaster.unsubscribe('ann', 'rooms/7');
    expect(broadcaster.clientCount('rooms/7')).toBe(0);
    void broadcaster.publish('rooms/7', 'gone');
    void broadcaster.publish('news', 'still');
    expect(pairs(await ann1.waitForEvents(2)).at(-1)).toEqual(['news', 'still']);
    expect(ann1.events.some((e) => e.data === 'gone' || e.data === 'before')).toBe(false);
    expect(bob.events.some((e) => e.event === 'rooms/7')).toBe(false);
    await Promise.all([ann1.close(), ann2.close(), bob.close()]);
  });

  it('subscribe() past a stream\'s maxChannels rejects naming the limit, and adds nothing; bad arguments reject', async () => {
    const stream = await open('/events/capped?n=2', { 'x-user': 'carol' });
    await until(() => broadcaster.clientCount('c/1') === 1, 'the stream to join');
    await expect(broadcaster.subscribe('carol', 'extra')).rejects.toThrow(
      'Too many channels for one stream: 3, and this route carries at most 2 (its maxChannels option).',
    );
    expect(broadcaster.clientCount('extra')).toBe(0);
    await expect(broadcaster.subscribe('carol', 'a\nb')).rejects.toThrow(/Invalid SSE channel name/);
    await expect(broadcaster.subscribe('', 'news')).rejects.toThrow(/identity/);
    await broadcaster.subscribe('nobody', 'news'); // no stream: nothing to do
    await stream.close();
  });

  it('a real reconnecting client (eventsource 4.1) routes by channel and resumes exactly after the server cut it', async () => {
    const seen: string[] = [];
    const es = new EventSource(`${t.url}/events?room=1`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, 'x-user': 'ann' } }),
    });
    es.addEventListener('news', (e) => seen.push(`news:${e.data}`));
    es.addEventListener('rooms/1', (e) => seen.push(`rooms/1:${e.data}`));
    try {
      await until(() => broadcaster.clientCount('rooms/1') === 1, 'the client to connect');
      void broadcaster.publish('news', 'n1');
      void broadcaster.publish('rooms/1', 'a1');
      await until(() => seen.length === 2, '2 events');
      void broadcaster.disconnect('ann'); // the server cuts the stream
      await until(() => broadcaster.clientCount('rooms/1') === 0, 'the cut');
      void broadcaster.publish('rooms/1', 'a2');
      void broadcaster.publish('news', 'n2');
      await until(() => seen.length === 4, 'the reconnect and what it missed');
      void broadcaster.publish('rooms/1', 'a3');
      await until(() => seen.length === 5, 'the live event');
      expect(seen).toEqual(['news:n1', 'rooms/1:a1', 'rooms/1:a2', 'news:n2', 'rooms/1:a3']);
    } finally {
      es.close();
    }
  });
});

describe.each(PLATFORMS)('@SseChannels() and a client that stops reading, on %s', (platform) => {
  it('drops only the stuck stream (its channels count it out as slow); a reader of the same channels gets everything', async () => {
    const t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, limits: { maxQueuedBytes: 64 * 1024, slowClientTimeout: 300 } })],
      controllers: [EventsController],
    });
    const broadcaster = t.app.get(SseBroadcaster);
    try {
      const reader = await SseTestStream.open(t.server, { path: '/events?room=big' });
      const stuck = await stuckClient(t, '/events?room=big');
      await until(() => broadcaster.clientCount('rooms/big') === 2, 'both streams');
      const payload = 'q'.repeat(16 * 1024);
      let published = 0;
      while (broadcaster.totals().backlogged === 0) {
        void broadcaster.publish(published % 2 === 0 ? 'rooms/big' : 'news', { n: published++, payload });
        await new Promise((resolve) => setImmediate(resolve));
        if (published > 4000) {
          throw new Error('the stuck stream never went above its bound');
        }
      }
      await until(() => broadcaster.stats()['rooms/big'].droppedSlow === 1, 'the stuck stream to be dropped', 5000);
      stuck.socket.resume();
      await stuck.closed;
      expect(broadcaster.stats()['news']).toMatchObject({ clients: 1, droppedSlow: 1 });
      expect(broadcaster.totals()).toMatchObject({ streams: 1 });
      const events = await reader.waitForEvents(published, 10_000);
      expect(events.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: published }, (_, n) => n));
      await reader.close();
    } finally {
      await t.close();
    }
  });
});

describe('@SseChannels() and a transport', () => {
  it('fails start-up, naming the route, with a transport that numbers no events across channels (no readSince())', async () => {
    const transport = {
      init: async () => undefined,
      publish: async () => '1',
      subscribe: async () => undefined,
      unsubscribe: async () => undefined,
      read: async () => ({ events: [] }),
      parseId: () => undefined,
      compareIds: () => 0,
      close: async () => undefined,
    } as unknown as SseTransport;
    await expect(
      createTestApp('express', { imports: [SseModule.forRoot({ transport })], controllers: [EventsController] }),
    ).rejects.toThrow('@SseChannels() on EventsController.channels: streams that carry many channels need a transport that numbers events across channels (readSince(), as RedisTransport has)');
  });
});
