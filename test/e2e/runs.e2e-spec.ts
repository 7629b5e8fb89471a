import { EventSource } from 'eventsource';
import request from 'supertest';
import { of } from 'rxjs';
import { SseBroadcaster, SseEncodingError, SseModule } from '../../lib/index.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { FakeGeneration, generations, RunsController } from '../src/runs.controller.js';
import { until } from '../src/until.js';

describe.each(PLATFORMS)('runs: finite channels on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  let registry: ChannelRegistry;
  const start = (id: string, cancelWhenIdle?: number) =>
    SseTestStream.open(t.server, { path: '/chat', method: 'POST', body: { id: `${platform}-${id}`, cancelWhenIdle } });
  const generation = (id: string) => generations.get(`${platform}-${id}`)!;
  const channel = (id: string) => `runs/${platform}-${id}`;

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0, history: { ttl: 300 } })], controllers: [RunsController] });
    broadcaster = t.app.get(SseBroadcaster);
    registry = t.app.get(ChannelRegistry);
  });
  afterAll(() => t.close());

  it('POST /chat streams the run in its own response: the tokens, then the end event, then the end', async () => {
    const stream = await start('post');
    expect(stream.status).toBe(200);
    await until(() => broadcaster.clientCount(channel('post')) === 1, 'the POST client');
    for (const token of ['Hel', 'lo', '!']) {
      generation('post').tokens.next(token);
    }
    generation('post').tokens.complete();
    await stream.waitForEnd();
    expect(stream.events.map((e) => [e.event, e.data])).toEqual([
      ['token', 'Hel'],
      ['token', 'lo'],
      ['token', '!'],
      ['sse-end', JSON.stringify({ channel: channel('post'), reason: 'complete' })],
    ]);
    const ids = stream.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(4);
    // Back with the end id: 204, which makes EventSource stop.
    const back = await request(t.server).get(`/${channel('post')}`).set('last-event-id', ids[3]!);
    expect(back.status).toBe(204);
    // The run takes no more events.
    expect(() => broadcaster.publish(channel('post'), 'late')).toThrow(SseEncodingError);
    expect(() => broadcaster.publish(channel('post'), 'late')).toThrow(/has ended: it takes no more events/);
  });

  it('a real EventSource cut mid-run resumes with exactly the missing tokens, then gets 204 after the end and stops', async () => {
    const seen: { type: string; data: string; id: string }[] = [];
    const post = await start('es');
    const source = new EventSource(`${t.url}/${channel('es')}`);
    for (const type of ['token', 'sse-end', 'sse-reset']) {
      source.addEventListener(type, (e) => seen.push({ type, data: e.data, id: e.lastEventId }));
    }
    const errors: number[] = [];
    source.onerror = (e) => errors.push((e as { code?: number }).code ?? 0);
    try {
      await until(() => broadcaster.clientCount(channel('es')) === 2, 'both clients');
      ['A', 'B'].forEach((token) => generation('es').tokens.next(token));
      await until(() => seen.length === 2, 'two tokens');
      broadcaster.close(channel('es')); // the connection drops mid-run
      ['C', 'D'].forEach((token) => generation('es').tokens.next(token)); // while it is away
      await until(() => seen.length === 4 && broadcaster.clientCount(channel('es')) === 1, 'the reconnect and replay');
      generation('es').tokens.next('E');
      generation('es').tokens.complete();
      await until(() => source.readyState === EventSource.CLOSED, 'EventSource to stop after the 204');
      expect(seen.map((e) => `${e.type}:${e.data}`)).toEqual([
        'token:A',
        'token:B',
        'token:C',
        'token:D',
        'token:E',
        `sse-end:${JSON.stringify({ channel: channel('es'), reason: 'complete' })}`,
      ]);
      expect(new Set(seen.map((e) => e.id)).size).toBe(6);
      expect(errors.at(-1)).toBe(204);
      expect(broadcaster.stats()[channel('es')].resets).toBe(0);
    } finally {
      source.close();
      await post.close();
    }
  });

  it('a client that opens late gets the run from its first token (from: "start"), live or after the end', async () => {
    const post = await start('late');
    ['one', 'two'].forEach((token) => generation('late').tokens.next(token));
    const during = await SseTestStream.open(t.server, { path: `/${channel('late')}` });
    await during.waitForEvents(2);
    generation('late').tokens.next('three');
    generation('late').tokens.complete();
    await during.waitForEnd();
    const after = await SseTestStream.open(t.server, { path: `/${channel('late')}` });
    await after.waitForEnd();
    for (const stream of [during, after]) {
      expect(stream.events.map((e) => e.data.startsWith('{') ? e.event : e.data)).toEqual(['one', 'two', 'three', 'sse-end']);
    }
    await post.close();
    await until(() => broadcaster.clientCount(channel('late')) === 0, 'every client of the ended run to be counted out');
  });

  it('cancelWhenIdle stops an abandoned run: from connect() until a client comes, and again after the last leaves', async () => {
    generations.set(`${platform}-nobody`, new FakeGeneration());
    broadcaster.connect(channel('nobody'), generation('nobody').source$, { end: true, cancelWhenIdle: 30 });
    await until(() => generation('nobody').tornDown === 1, 'the unwatched source to stop');
    expect(registry.endIdOf(channel('nobody'))).toBeDefined();

    const post = await start('left', 30);
    generation('left').tokens.next('x');
    await post.waitForEvents(1);
    expect(generation('left').tornDown).toBe(0);
    await post.close();
    await until(() => generation('left').tornDown === 1, 'the source to stop once its last client left');
    const ended = await SseTestStream.open(t.server, { path: `/${channel('left')}` });
    await ended.waitForEnd();
    expect(ended.events.at(-1)).toMatchObject({ event: 'sse-end', data: JSON.stringify({ channel: channel('left'), reason: 'ended' }) });
  });

  it('end() with clients attached: they get the end (reason "ended") and their responses end; the source stops', async () => {
    const post = await start('ended');
    const other = await SseTestStream.open(t.server, { path: `/${channel('ended')}` });
    await until(() => broadcaster.clientCount(channel('ended')) === 2, 'both clients');
    generation('ended').tokens.next('partial');
    const endId = await broadcaster.end(channel('ended'));
    await Promise.all([post.waitForEnd(), other.waitForEnd()]);
    for (const stream of [post, other]) {
      expect(stream.events.map((e) => [e.event, e.data])).toEqual([
        ['token', 'partial'],
        ['sse-end', JSON.stringify({ channel: channel('ended'), reason: 'ended' })],
      ]);
      expect(stream.events.at(-1)!.id).toBe(endId);
    }
    expect(generation('ended').tornDown).toBe(1);
    expect(await broadcaster.end(channel('ended'))).toBe(endId); // once
  });

  it('an error in the source ends the run with reason "error", without its message', async () => {
    const post = await start('fails');
    generation('fails').tokens.next('so far');
    generation('fails').tokens.error(new Error('the model is down: secret detail'));
    await post.waitForEnd();
    expect(post.events.map((e) => [e.event, e.data])).toEqual([
      ['token', 'so far'],
      ['sse-end', JSON.stringify({ channel: channel('fails'), reason: 'error' })],
    ]);
    expect(post.raw).not.toContain('secret detail');
  });

  it('a source that completes while being subscribed to (a cached answer) is a whole run', async () => {
    broadcaster.connect(channel('cached'), of('cached', 'answer'), { end: true });
    const stream = await SseTestStream.open(t.server, { path: `/${channel('cached')}` });
    await stream.waitForEnd();
    expect(stream.events.map((e) => e.event)).toEqual(['token', 'token', 'sse-end']);
    // The clients that got the end are counted out, and the finished run is dropped in time.
    await until(() => broadcaster.clientCount(channel('cached')) === 0, 'the clients of the ended run to be counted out');
    await until(() => registry.get(channel('cached')) === undefined, 'the ended channel to be dropped', 5000);
  });

  it('a finished run is dropped after historyTtl; a client back with its end id still gets 204', async () => {
    const post = await start('dropped');
    generation('dropped').tokens.next('t');
    generation('dropped').tokens.complete();
    await post.waitForEnd();
    const endId = post.events.at(-1)!.id!;
    await until(() => registry.get(channel('dropped')) === undefined, 'the ended channel to be dropped', 5000);
    const back = await request(t.server).get(`/${channel('dropped')}`).set('last-event-id', endId);
    expect(back.status).toBe(204);
    // A new run may take the name once the old one is gone.
    expect(() => broadcaster.publish(channel('dropped'), 'new run')).not.toThrow();
  });

  it('refuses the end event\'s name for a published event, and bad connect options, naming them', () => {
    expect(() => broadcaster.publish('runs/x', 'x', { event: 'sse-end' })).toThrow(/Invalid SSE event "sse-end": it is the endEvent/);
    expect(() => broadcaster.connect('runs/x', of(1), { cancelWhenIdle: -1 })).toThrow(/Invalid connect options\.cancelWhenIdle -1/);
    expect(() => broadcaster.connect('runs/x', of(1), { until: 1 } as never)).toThrow(/Unknown option "until" in connect options/);
  });
});
