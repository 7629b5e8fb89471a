import request from 'supertest';
import { EMPTY, interval, map, of, take, throwError } from 'rxjs';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { collectSseEvents, SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { until } from '../src/until.js';
import { FeedController, observed } from '../src/feed.controller.js';


describe.each(PLATFORMS)('core on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, init: Parameters<typeof SseTestStream.open>[1] = {}) =>
    SseTestStream.open(t.server, { path, ...init });

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [FeedController] });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('sends the event-stream headers at once, keeping @Header() ones', async () => {
    const stream = await open('/feed/headers');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers.connection).toBe('keep-alive');
    expect(stream.headers['x-custom']).toBe('kept');
    expect(stream.events).toEqual([]);
    await stream.close();
  });

  it('HEAD gets the headers and an empty body', async () => {
    const res = await request(t.server).head('/feed/news');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.text ?? '').toBe('');
    expect(broadcaster.clientCount('news')).toBe(0);
  });

  it('applies each route\'s event name to a channel event, with the same id on every route', async () => {
    const [news, alerts, plain] = await Promise.all([open('/feed/news'), open('/feed/news-alerts'), open('/feed/news-plain')]);
    expect(broadcaster.clientCount('news')).toBe(3);
    const id = await broadcaster.publish('news', { title: 'Hello' });
    broadcaster.publish('news', 'everyone', { event: 'breaking' });
    const [a, b, c] = await Promise.all([news.waitForEvents(2), alerts.waitForEvents(2), plain.waitForEvents(2)]);
    expect(a[0]).toEqual({ event: 'news', data: '{"title":"Hello"}', id, retry: undefined });
    expect(b[0]).toEqual({ event: 'alert', data: '{"title":"Hello"}', id, retry: undefined });
    expect(c[0]).toEqual({ event: 'message', data: '{"title":"Hello"}', id, retry: undefined });
    for (const events of [a, b, c]) {
      expect(events[1]).toMatchObject({ event: 'breaking', data: 'everyone' });
      expect(events[1].id).toBe(a[1].id);
    }
    await Promise.all([news.close(), alerts.close(), plain.close()]);
  });

  it('puts a client on the channel named by its :param route', async () => {
    const [one, two] = await Promise.all([open('/feed/rooms/1'), open('/feed/rooms/2')]);
    expect(broadcaster.clientCount('rooms/1')).toBe(1);
    const posted = await request(t.server).post('/feed/rooms/1').send({ text: 'hi room 1' }).expect(201);
    await request(t.server).post('/feed/rooms/2').send({ text: 'hi room 2' }).expect(201);
    const [first] = await one.waitForEvents(1);
    expect(first).toEqual({ event: 'chat', data: '{"text":"hi room 1"}', id: posted.body.id, retry: undefined });
    const [second] = await two.waitForEvents(1);
    expect(second.data).toBe('{"text":"hi room 2"}');
    expect(one.events).toHaveLength(1);
    await Promise.all([one.close(), two.close()]);
  });

  it('publishes to 3 clients of one channel', async () => {
    const streams = await Promise.all([1, 2, 3].map(() => open('/feed/rooms/three')));
    for (let i = 0; i < 5; i++) {
      broadcaster.publish('rooms/three', { i });
    }
    const received = await Promise.all(streams.map((s) => s.waitForEvents(5)));
    for (const events of received) {
      expect(events.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => `{"i":${i}}`));
      expect(events.map((e) => e.id)).toEqual(received[0].map((e) => e.id));
    }
    await Promise.all(streams.map((s) => s.close()));
  });

  it('joins the channel of a handle the handler returns (and DI works in the controller)', async () => {
    const stream = await open('/feed/pick/blue');
    expect(stream.status).toBe(200);
    expect(broadcaster.channel('picked-blue').clientCount()).toBe(1);
    broadcaster.channel('picked-blue').publish('chosen');
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ event: 'picked', data: 'chosen' });
    await stream.close();
  });

  it('connect(channel, interval$) turns an Observable into channel events until unsubscribed', async () => {
    const stream = await open('/feed/rooms/ticker');
    const subscription = broadcaster.connect('rooms/ticker', interval(5).pipe(map((n) => ({ n }))));
    const events = await stream.waitForEvents(3);
    subscription.unsubscribe();
    expect(events.slice(0, 3).map((e) => e.data)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
    expect(events.every((e) => e.event === 'chat')).toBe(true);
    const seen = stream.events.length;
    // A marker published after: nothing of the ticker came between.
    await broadcaster.publish('rooms/ticker', 'marker');
    await stream.waitForEvents(seen + 1);
    expect(stream.events.slice(seen).map((e) => e.data)).toEqual(['marker']);
    await stream.close();
  });

  it('connect() takes sources that complete or fail while being subscribed to (of(value), EMPTY, throwError)', async () => {
    const stream = await open('/feed/rooms/sync');
    const done = broadcaster.connect('rooms/sync', of('cached', 'answer'));
    expect(done.closed).toBe(true);
    expect(broadcaster.connect('rooms/sync', EMPTY).closed).toBe(true);
    expect(broadcaster.connect('rooms/sync', throwError(() => new Error('no source'))).closed).toBe(true);
    const events = await stream.waitForEvents(2);
    expect(events.map((e) => e.data)).toEqual(['cached', 'answer']);
    await stream.close();
  });

  it('connect() accepts message objects and skips values it cannot send', async () => {
    const stream = await open('/feed/rooms/messages');
    const subscription = broadcaster.connect(
      'rooms/messages',
      interval(2).pipe(
        take(3),
        map((n): unknown => (n === 1 ? { data: 1n } : { data: `n${n}`, event: 'custom' })),
      ),
    );
    const events = await stream.waitForEvents(2);
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['custom', 'n0'],
      ['custom', 'n2'],
    ]);
    subscription.unsubscribe();
    await stream.close();
  });

  it('streams a per-client Observable on a POST route with a body, then ends', async () => {
    const { status, events } = await collectSseEvents(t.server, {
      path: '/feed/search',
      method: 'POST',
      body: { terms: ['nest', 'sse'] },
    });
    expect(status).toBe(200);
    expect(events).toEqual([
      { event: 'result', data: '{"term":"nest","rank":0}', id: undefined, retry: undefined },
      { event: 'result', data: '{"term":"sse","rank":1}', id: undefined, retry: undefined },
    ]);
  });

  it('runs pipes: a bad param is a normal 400 JSON error, nothing streamed', async () => {
    const res = await request(t.server).get('/feed/count/abc').set('accept', 'text/event-stream');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/numeric string is expected/) });
    const { events } = await collectSseEvents(t.server, { path: '/feed/count/3' });
    expect(events.map((e) => e.data)).toEqual(['0', '1', '2']);
  });

  it('a guard that rejects gives 403 JSON', async () => {
    const res = await request(t.server).get('/feed/secret').set('accept', 'text/event-stream');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, message: 'Forbidden resource', error: 'Forbidden' });
    expect(broadcaster.clientCount('secret')).toBe(0);
  });

  it('an exception thrown by the handler before streaming is a normal HTTP error', async () => {
    const res = await request(t.server).get('/feed/throws-early');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: 'Not in this room' });
  });

  it('a handler result that is not a stream is a 500, not half a stream', async () => {
    const res = await request(t.server).get('/feed/returns-string');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  it('an error mid-stream sends one error event with a safe message, then ends', async () => {
    const { events } = await collectSseEvents(t.server, { path: '/feed/fails' });
    expect(events).toEqual([
      { event: 'message', data: 'first', id: undefined, retry: undefined },
      { event: 'error', data: 'Internal server error', id: undefined, retry: undefined },
    ]);
    const http = await collectSseEvents(t.server, { path: '/feed/fails-http' });
    expect(http.events.map((e) => [e.event, e.data])).toEqual([
      ['message', 'first'],
      ['error', 'Quota exceeded'],
    ]);
  });

  it('a value the encoder refuses ends that client\'s stream with an error event; others are unaffected', async () => {
    const other = await open('/feed/rooms/bystander');
    const { events } = await collectSseEvents(t.server, { path: '/feed/bad-value' });
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['item', '{"ok":1}'],
      ['error', 'Internal server error'],
    ]);
    broadcaster.publish('rooms/bystander', 'still here');
    await expect(other.waitForEvents(1)).resolves.toMatchObject([{ data: 'still here' }]);
    await other.close();
  });

  it('refuses bad publish input with an error naming the field, and writes nothing', async () => {
    const stream = await open('/feed/rooms/strict');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => broadcaster.publish('rooms/strict', 1n)).toThrow(/Invalid SSE data 1n/);
    expect(() => broadcaster.publish('rooms/strict', circular)).toThrow(/Invalid SSE data .*circular/i);
    expect(() => broadcaster.publish('rooms/strict', undefined)).toThrow(/Invalid SSE data undefined/);
    expect(() => broadcaster.publish('rooms/strict', 'x', { event: 'a\nb' })).toThrow(/Invalid SSE event "a\\nb"/);
    expect(() => broadcaster.publish('rooms/strict', 'x', { id: 'a\0' })).toThrow(/Invalid SSE id .*NUL/);
    expect(() => broadcaster.publish('rooms/strict', 'x', { id: 'a\r\nb' })).toThrow(/Invalid SSE id .*CR or LF/);
    for (const id of [' x', 'x ', '  ']) {
      expect(() => broadcaster.publish('rooms/strict', 'x', { id })).toThrow(/Invalid SSE id ".*": it must not start or end with a space/);
    }
    expect(() => broadcaster.publish('rooms/strict', 'bad \uD800')).toThrow(/lone UTF-16 surrogate/);
    expect(() => broadcaster.publish('rooms/strict', 'x', { evnt: 'typo' } as never)).toThrow(/Unknown option "evnt"/);
    expect(() => broadcaster.publish('', 'x')).toThrow(/Invalid SSE channel name ""/);
    // A leading or trailing "/" or an empty segment would name another channel, silently: refused, with the fix.
    expect(() => broadcaster.publish('/rooms/strict', 'x')).toThrow(/Invalid SSE channel name "\/rooms\/strict": .*without a leading or trailing "\/".* — write "rooms\/strict"/);
    expect(() => broadcaster.publish('rooms/strict/', 'x')).toThrow(/write "rooms\/strict"/);
    expect(() => broadcaster.publish('rooms//strict', 'x')).toThrow(/an empty segment .* write "rooms\/strict"/);
    broadcaster.publish('rooms/strict', 'good');
    const events = await stream.waitForEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toHaveLength(1);
    expect(events[0].data).toBe('good');
    expect(stream.raw).toBe(`event: chat\nid: ${events[0].id}\ndata: good\n\n`);
    await stream.close();
  });

  it('on disconnect the client leaves its channel at once', async () => {
    const stream = await open('/feed/rooms/leaving');
    expect(broadcaster.clientCount('rooms/leaving')).toBe(1);
    await stream.close();
    await until(() => broadcaster.clientCount('rooms/leaving') === 0, 'clientCount 0');
  });

  it('on disconnect a per-client Observable is torn down', async () => {
    const before = { ...observed };
    const stream = await open('/feed/endless');
    await stream.waitForEvents(2);
    expect(observed.subscribed).toBe(before.subscribed + 1);
    await stream.close();
    await until(() => observed.tornDown === before.tornDown + 1, 'the teardown');
  });

  it('channel(name).close() ends every client stream of the channel', async () => {
    const streams = await Promise.all([open('/feed/rooms/closing'), open('/feed/rooms/closing')]);
    broadcaster.channel('rooms/closing').close();
    await Promise.all(streams.map((s) => s.waitForEnd()));
    expect(broadcaster.clientCount('rooms/closing')).toBe(0);
  });

  it('drop-in: an @Sse() handler gives the same events under @SseChannel()', async () => {
    const [legacy, ours] = await Promise.all([
      collectSseEvents(t.server, { path: '/feed/legacy', count: 3 }),
      collectSseEvents(t.server, { path: '/feed/drop-in' }),
    ]);
    expect(legacy.events).toHaveLength(3);
    expect(ours.events).toEqual(legacy.events);
    expect(ours.events[0]).toEqual({ event: 'tick', data: '{"i":0,"text":"tick 0"}', id: '1', retry: undefined });
  });
});
