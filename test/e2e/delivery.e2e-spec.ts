import { request, type IncomingMessage } from 'node:http';
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { ConnectionTracker } from '../../lib/tracker/connection-tracker.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { until } from '../src/until.js';
import { DeliveryController } from '../src/delivery.controller.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The channel-assigned sequence number in an id `<epoch>-<seq>`. */
const seqOf = (id: string | undefined) => Number(id?.split('-')[1]);

describe.each(PLATFORMS)('delivery on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  let tracker: ConnectionTracker;
  const open = (path: string, init: Parameters<typeof SseTestStream.open>[1] = {}) =>
    SseTestStream.open(t.server, { path, ...init });

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SseModule.forRoot({
          heartbeat: 0,
          channels: { 'live/small': { size: 3 }, 'live/off': { size: 0 }, 'live/slow': { bytes: 64 * 1024 * 1024 } },
        }),
      ],
      controllers: [DeliveryController],
    });
    broadcaster = t.app.get(SseBroadcaster);
    tracker = t.app.get(ConnectionTracker);
  });
  afterAll(() => t.close());

  describe('ids', () => {
    it('gives each event one channel-wide id: the same on every client and route, ASCII, strictly increasing', async () => {
      const streams = await Promise.all(['/live/ids', '/live/ids', '/live/ids/raw', '/live/ids/raw'].map((p) => open(p)));
      const published = await Promise.all([1, 2, 3, 4, 5].map((n) => broadcaster.publish('live/ids', { n })));
      const received = await Promise.all(streams.map((s) => s.waitForEvents(5)));
      for (const events of received) {
        expect(events.map((e) => e.id)).toEqual(published);
      }
      expect(received[0][0].event).toBe('update');
      expect(received[2][0].event).toBe('message');
      for (const id of published) {
        expect(id).toMatch(/^[\x21-\x7e]+$/);
      }
      const seqs = published.map(seqOf);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(5);
      await Promise.all(streams.map((s) => s.close()));
    });

    it('honours an id the caller gives, and replays after it', async () => {
      broadcaster.publish('live/caller', 'a', { id: 'order-1001' });
      broadcaster.publish('live/caller', 'b', { id: 'order-1002' });
      broadcaster.publish('live/caller', 'c');
      const stream = await open('/live/caller', { headers: { 'last-event-id': 'order-1001' } });
      const events = await stream.waitForEvents(2);
      expect(events.map((e) => [e.data, e.id])).toEqual([
        ['b', 'order-1002'],
        ['c', expect.stringMatching(/^[0-9a-z]+-\d+$/)], // the channel's own id
      ]);
      await stream.close();
    });
  });

  describe('replay', () => {
    it('replays every event after Last-Event-ID, in order, with the route\'s event name, then live ones', async () => {
      const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => broadcaster.publish('live/replay', `e${n}`)));
      const [update, raw] = await Promise.all([
        open('/live/replay', { headers: { 'last-event-id': ids[1] } }),
        open('/live/replay/raw', { headers: { 'last-event-id': ids[1] } }),
      ]);
      const live = await broadcaster.publish('live/replay', 'e6');
      const [a, b] = await Promise.all([update.waitForEvents(4), raw.waitForEvents(4)]);
      expect(a.map((e) => [e.event, e.data, e.id])).toEqual([
        ['update', 'e3', ids[2]],
        ['update', 'e4', ids[3]],
        ['update', 'e5', ids[4]],
        ['update', 'e6', live],
      ]);
      expect(b.map((e) => e.event)).toEqual(['message', 'message', 'message', 'message']);
      expect(b.map((e) => e.id)).toEqual(a.map((e) => e.id));
      expect(broadcaster.stats()['live/replay']).toMatchObject({ clients: 2, published: 6, replayed: 6, resets: 0 });
      await Promise.all([update.close(), raw.close()]);
    });

    it('takes the id from the lastEventId query parameter too', async () => {
      const ids = await Promise.all([1, 2, 3].map((n) => broadcaster.publish('live/query', n)));
      const stream = await open(`/live/query?lastEventId=${encodeURIComponent(ids[0])}`);
      const events = await stream.waitForEvents(2);
      expect(events.map((e) => e.data)).toEqual(['2', '3']);
      await stream.close();
    });

    it('sends nothing extra to a client that is up to date', async () => {
      const last = await broadcaster.publish('live/uptodate', 'only');
      const stream = await open('/live/uptodate', { headers: { 'last-event-id': last } });
      broadcaster.publish('live/uptodate', 'next');
      const events = await stream.waitForEvents(1);
      expect(events.map((e) => e.data)).toEqual(['next']);
      await stream.close();
    });

    it('sends the reset event when the id is older than the history', async () => {
      const ids = await Promise.all(Array.from({ length: 10 }, (_, n) => broadcaster.publish('live/small', n)));
      const stream = await open('/live/small', { headers: { 'last-event-id': ids[1] } });
      broadcaster.publish('live/small', 'live');
      const events = await stream.waitForEvents(2);
      expect(events[0]).toMatchObject({ event: 'sse-reset', id: ids[9] });
      expect(JSON.parse(events[0].data)).toEqual({ reason: 'history-exceeded', lastEventId: ids[1], channel: 'live/small' });
      expect(events[1]).toMatchObject({ event: 'update', data: 'live' });
      await stream.close();
    });

    it('sends the reset event for an unknown id, decoding the header as UTF-8', async () => {
      broadcaster.publish('live/unknown', 'x');
      const utf8AsLatin1 = Buffer.from('héllo-42', 'utf8').toString('latin1');
      const stream = await open('/live/unknown', { headers: { 'last-event-id': utf8AsLatin1 } });
      const [reset] = await stream.waitForEvents(1);
      expect(reset.event).toBe('sse-reset');
      expect(JSON.parse(reset.data)).toMatchObject({ reason: 'unknown-id', lastEventId: 'héllo-42' });
      expect(broadcaster.stats()['live/unknown'].resets).toBe(1);
      await stream.close();
    });

    it('with history off, a reconnecting client that missed events gets the reset event', async () => {
      const first = await broadcaster.publish('live/off', 1);
      broadcaster.publish('live/off', 2);
      const stream = await open('/live/off', { headers: { 'last-event-id': first } });
      const [reset] = await stream.waitForEvents(1);
      expect(reset.event).toBe('sse-reset');
      await stream.close();
    });

    it('replay racing with publishes: no gap, no duplicate', async () => {
      const total = 400;
      const ids: string[] = [];
      let joined: Promise<SseTestStream>[] = [];
      await new Promise<void>((resolve, reject) => {
        const step = async () => {
          ids.push(await broadcaster.publish('live/race', ids.length));
          if (ids.length === 100) {
            joined = [20, 50, 99].map((from) => open('/live/race', { headers: { 'last-event-id': ids[from] } }));
          }
          if (ids.length < total) {
            setImmediate(() => void step().catch(reject));
          } else {
            resolve();
          }
        };
        step().catch(reject);
      });
      const streams = await Promise.all(joined);
      for (const [i, from] of [20, 50, 99].entries()) {
        const events = await streams[i].waitForEvents(total - from - 1);
        expect(events.map((e) => e.id)).toEqual(ids.slice(from + 1));
      }
      await Promise.all(streams.map((s) => s.close()));
    });

    it('a real reconnecting client (eventsource 4.1) gets exactly the missed events, then live ones', async () => {
      const seen: { data: string; id: string }[] = [];
      const es = new EventSource(`${t.url}/live/es/quick`);
      es.addEventListener('message', (e) => seen.push({ data: e.data, id: e.lastEventId }));
      try {
        await until(() => broadcaster.clientCount('live/es') === 1, 'the client to connect');
        [1, 2, 3].forEach((n) => void broadcaster.publish('live/es', `m${n}`));
        await until(() => seen.length === 3, '3 events');
        const replayedBefore = broadcaster.stats()['live/es'].replayed;
        broadcaster.close('live/es'); // the server ends the stream mid-way
        [4, 5, 6].forEach((n) => void broadcaster.publish('live/es', `m${n}`)); // published while it is away
        await until(() => broadcaster.clientCount('live/es') === 1 && seen.length === 6, 'the reconnect and replay');
        broadcaster.publish('live/es', 'm7');
        await until(() => seen.length === 7, 'the live event');
        expect(seen.map((e) => e.data)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
        expect(new Set(seen.map((e) => e.id)).size).toBe(7);
        expect(broadcaster.stats()['live/es'].replayed - replayedBefore).toBe(3);
      } finally {
        es.close();
      }
    });
  });

  describe('per-client routes', () => {
    it('@LastEventId() hands the handler the id, so its own stream can resume', async () => {
      const fresh = await open('/live/counter/4');
      await fresh.waitForEnd();
      expect(fresh.events.map((e) => e.id)).toEqual(['0', '1', '2', '3']);
      const resumed = await open('/live/counter/5', { headers: { 'last-event-id': '2' } });
      await resumed.waitForEnd();
      expect(resumed.events.map((e) => [e.event, e.data])).toEqual([
        ['count', '3'],
        ['count', '4'],
      ]);
    });
  });

  describe('keeping connections alive', () => {
    it('sends retry once when the stream opens', async () => {
      const stream = await open('/live/retry/quick');
      broadcaster.publish('live/retry', 'x');
      const [event] = await stream.waitForEvents(1);
      expect(stream.raw.startsWith('retry: 20\n\n')).toBe(true);
      expect(stream.raw.match(/retry:/g)).toHaveLength(1);
      expect(event.retry).toBe(20);
      await stream.close();
    });

    it('writes heartbeats only between frames, from one timer for all clients', async () => {
      const timersBefore = tracker.heartbeat.timerCount;
      const streams = await Promise.all(Array.from({ length: 20 }, () => open('/live/hb/beat')));
      expect(tracker.heartbeat.timerCount).toBe(timersBefore + 1);
      const payload = 'x'.repeat(3000);
      for (let n = 0; n < 25; n++) {
        broadcaster.publish('live/hb', { n, payload });
        await sleep(4);
      }
      const events = await streams[0].waitForEvents(25);
      expect(events.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: 25 }, (_, n) => n));
      for (const stream of streams) {
        const blocks = stream.raw.split('\n\n').slice(0, -1);
        const heartbeats = blocks.filter((b) => b === ':');
        expect(heartbeats.length).toBeGreaterThanOrEqual(2);
        // every other block is one whole frame: nothing was cut by a heartbeat
        for (const block of blocks.filter((b) => b !== ':')) {
          expect(block).toMatch(/^id: \S+\ndata: \{"n":\d+,"payload":"x{3000}"\}$/);
        }
      }
      await Promise.all(streams.map((s) => s.close()));
      await until(() => tracker.heartbeat.timerCount === timersBefore, 'the timer to stop with its last client');
    });
  });

  describe('slow clients', () => {
    it('drops a client that stops reading at maxQueuedBytes; others get everything; it resumes losslessly', async () => {
      const fast = await open('/live/slow');
      // A client that reads the first events, then stops reading (its socket
      // fills up, then the server's queue for it grows).
      const got: string[] = [];
      const parser = createParser({ onEvent: (e) => got.push(e.id!) });
      let response: IncomingMessage | undefined;
      let stopped = false;
      const slowRequest = request(`${t.url}/live/slow/tight`, { agent: false }, (res) => {
        response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          parser.feed(chunk);
          if (got.length >= 5 && !stopped) {
            stopped = true;
            res.pause();
          }
        });
        res.on('error', () => undefined);
      });
      slowRequest.on('error', () => undefined);
      slowRequest.end();
      const closed = new Promise<void>((resolve) => slowRequest.on('close', () => resolve()));
      await until(() => broadcaster.clientCount('live/slow') === 2, 'the slow client');
      const firstIds = await Promise.all([1, 2, 3, 4, 5].map((n) => broadcaster.publish('live/slow', { n: -n })));
      await until(() => got.length === 5 && response!.isPaused(), 'the slow client to read 5 events');

      const total = 600;
      const payload = 'y'.repeat(32 * 1024);
      const ids: string[] = [...firstIds];
      for (let n = 0; n < total; n++) {
        ids.push(await broadcaster.publish('live/slow', { n, payload }));
        if (n % 10 === 9) {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await until(() => broadcaster.stats()['live/slow'].droppedSlow === 1, 'the slow client to be dropped');
      const fastEvents = await fast.waitForEvents(total + 5, 15_000);
      expect(fastEvents.map((e) => e.id)).toEqual(ids);
      expect(broadcaster.clientCount('live/slow')).toBe(1);
      // Nothing stays queued for the dropped client (its memory: the stress suite).
      expect(broadcaster.totals().queuedBytes).toBeLessThan(64 * 1024);

      // The slow client reads what reached it, then reconnects from its last whole event.
      response!.resume();
      await closed;
      expect(got.length).toBeLessThan(total);
      expect(got).toEqual(ids.slice(0, got.length));
      const resumed = await open('/live/slow/tight', { headers: { 'last-event-id': got[got.length - 1] } });
      const rest = await resumed.waitForEvents(ids.length - got.length, 15_000);
      expect([...got, ...rest.map((e) => e.id)]).toEqual(ids);
      await Promise.all([resumed.close(), fast.close()]);
    });
  });
});
