import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { SseTestStream } from 'nestjs-sse-channel/testing';
import { AppModule } from '../../docs/examples/delivery/app.module.js';
import { followMatch, type Line } from '../../docs/examples/delivery/client.js';
import { MatchesService } from '../../docs/examples/delivery/matches.service.js';
import { until } from '../src/until.js';

// docs/delivery-and-replay.md's example (docs/examples/delivery/): history, a client back
// with Last-Event-ID, the reset event and the page's script that reloads on it, retry, shutdown.
const start = (platform: 'express' | 'fastify') =>
  platform === 'express' ? NestFactory.create(AppModule, { logger: false }) : NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });

// The page's script uses the browser's EventSource; Node 20 has none, so the `eventsource` package stands in.
const globals = globalThis as { EventSource?: unknown };
beforeAll(() => {
  globals.EventSource ??= EventSource;
});

describe.each(['express', 'fastify'] as const)('the delivery example on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  let broadcaster: SseBroadcaster;
  let matches: MatchesService;

  beforeAll(async () => {
    app = await start(platform);
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    broadcaster = app.get(SseBroadcaster);
    matches = app.get(MatchesService);
  });
  afterAll(() => app?.close());

  const comment = async (match: string, text: string) => {
    const response = await fetch(`${url}/matches/${match}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ minute: 1, text }) });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const open = (path: string, headers: Record<string, string> = {}) => SseTestStream.open(url, { path, headers });

  it('a stream opens with `retry: 1000`, then each line is a `line` event with its id', async () => {
    const stream = await open('/matches/1/live');
    const id = await comment('1', 'Kick-off');
    await stream.waitForEvents(1);
    expect(stream.raw).toBe(`retry: 1000\n\nevent: line\nid: ${id}\ndata: {"n":1,"minute":1,"text":"Kick-off"}\n\n`);
    await stream.close();
  });

  it('a client back with Last-Event-ID (or ?lastEventId=) gets the lines it missed, in order, then the live ones', async () => {
    const first = await open('/matches/2/live');
    await comment('2', 'a');
    const seen = await comment('2', 'b');
    await first.waitForEvents(2);
    await first.close();
    const missed = [await comment('2', 'c'), await comment('2', 'd'), await comment('2', 'e')];
    for (const back of [await open('/matches/2/live', { 'last-event-id': seen }), await open(`/matches/2/live?lastEventId=${seen}`)]) {
      await back.waitForEvents(3);
      expect(back.events.map((e) => e.id)).toEqual(missed);
      await back.close();
    }
    const upToDate = await open('/matches/2/live', { 'last-event-id': missed[2] });
    const live = await comment('2', 'f');
    await upToDate.waitForEvents(1);
    expect(upToDate.events.map((e) => e.id)).toEqual([live]); // nothing to replay: live at once
    await upToDate.close();
  });

  it('an id older than the 50 lines a match keeps gets the reset event first (history-exceeded), then live lines', async () => {
    const old = await comment('3', 'line 1');
    let latest = old;
    for (let n = 2; n <= 52; n++) latest = await comment('3', `line ${n}`);
    const back = await open('/matches/3/live', { 'last-event-id': old });
    await back.waitForEvents(1);
    const live = await comment('3', 'line 53');
    await back.waitForEvents(2);
    expect(back.events[0]).toMatchObject({ event: 'sse-reset', id: latest });
    expect(JSON.parse(back.events[0].data)).toEqual({ reason: 'history-exceeded', lastEventId: old, channel: 'matches/3/live' });
    expect(back.events[1]).toMatchObject({ event: 'line', id: live });
    await back.close();
  });

  it('an id the channel never gave (from before a restart) gets the reset event with reason unknown-id', async () => {
    await comment('4', 'x');
    const back = await open('/matches/4/live', { 'last-event-id': 'from-yesterday-9' });
    const [reset] = await back.waitForEvents(1);
    expect(reset.event).toBe('sse-reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: 'unknown-id', lastEventId: 'from-yesterday-9', channel: 'matches/4/live' });
    await back.close();
  });

  describe("the page's script (client.ts)", () => {
    const follow = async (match: string) => {
      const shown: { lines: Line[] } = { lines: [] };
      const source = followMatch(url, match, (lines) => (shown.lines = lines));
      let opens = 0;
      source.addEventListener('open', () => opens++);
      await until(() => opens === 1, 'the stream to open');
      return { source, shown, opens: () => opens };
    };

    it('reconnects after a dropped connection and gets exactly the lines published while it was away', async () => {
      const { source, shown, opens } = await follow('5');
      try {
        await comment('5', 'one');
        await until(() => shown.lines.length === 1, 'the first line');
        broadcaster.close('matches/5/live'); // the connection drops
        // Published while the client is away (it cannot reconnect within this synchronous turn).
        void matches.add('5', 2, 'two');
        void matches.add('5', 3, 'three');
        await until(() => opens() === 2 && shown.lines.length === 3, 'the reconnect and the missed lines');
        await comment('5', 'four');
        await until(() => shown.lines.length === 4, 'the live line');
        expect(shown.lines.map((line) => line.text)).toEqual(['one', 'two', 'three', 'four']);
        expect(broadcaster.stats()['matches/5/live']).toMatchObject({ replayed: 2, resets: 0 });
      } finally {
        source.close();
      }
    });

    it('away for more than 50 lines: it gets the reset event, reloads the commentary and shows every line once', async () => {
      const { source, shown, opens } = await follow('6');
      try {
        await comment('6', 'line 1');
        await until(() => shown.lines.length === 1, 'the first line');
        broadcaster.close('matches/6/live');
        for (let n = 2; n <= 60; n++) void matches.add('6', n, `line ${n}`);
        await until(() => opens() === 2 && shown.lines.length === 60, 'the reconnect and the reload');
        expect(broadcaster.stats()['matches/6/live'].resets).toBe(1);
        await comment('6', 'line 61');
        await until(() => shown.lines.length === 61, 'the live line');
        expect(shown.lines.map((line) => line.n)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
      } finally {
        source.close();
      }
    });
  });

  it('on shutdown every open stream gets `sse-shutdown` (no id: a reconnect resumes from the last line), then its end', async () => {
    const other = await start(platform);
    await other.listen(0, '127.0.0.1');
    const base = (await other.getUrl()).replace('[::1]', '127.0.0.1');
    const stream = await SseTestStream.open(base, { path: '/matches/7/live' });
    await other.get(MatchesService).add('7', 90, 'Full time');
    await stream.waitForEvents(1);
    await other.close();
    await stream.waitForEnd();
    expect(stream.events.map((e) => [e.event, e.id === undefined, e.data])).toEqual([
      ['line', false, '{"n":1,"minute":90,"text":"Full time"}'],
      ['sse-shutdown', true, '{"reason":"shutdown"}'],
    ]);
  });
});
