import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { BacklogController, bigText, MiB } from '../src/backlog.controller.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { stuckClient } from '../src/stuck-client.js';
import { until } from '../src/until.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe.each(PLATFORMS)('the queue bound on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, headers: Record<string, string> = {}) => SseTestStream.open(t.server, { path, headers });

  beforeAll(async () => {
    // The defaults: maxQueuedBytes 1 MiB, slowClientTimeout 1 s.
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, channels: { 'big/:topic': { bytes: 64 * MiB } } })],
      controllers: [BacklogController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('a 3 MiB event followed at once by small ones reaches every reading client, in the same turn or the next', async () => {
    const streams = await Promise.all([open('/big/three'), open('/big/three'), open('/big/three/tight')]);
    const big = bigText(3, 'big');
    // The same turn: one write of everything.
    const ids = [broadcaster.publish('big/three', big), broadcaster.publish('big/three', 'a'), broadcaster.publish('big/three', 'b')];
    // Later turns, while the big event may still be queued.
    await nextTurn();
    ids.push(broadcaster.publish('big/three', big));
    await nextTurn();
    ids.push(broadcaster.publish('big/three', 'c'));
    ids.push(broadcaster.publish('big/three', 'd'));
    const expected = await Promise.all(ids);
    for (const stream of streams) {
      const events = await stream.waitForEvents(6, 10_000);
      expect(events.map((e) => e.id)).toEqual(expected);
      expect(events.map((e) => e.data)).toEqual([big, 'a', 'b', big, 'c', 'd']);
    }
    expect(broadcaster.stats()['big/three']).toMatchObject({ clients: 3, droppedSlow: 0 });

    // A client resuming from before the big events gets them by replay, even on the 64 KiB route
    // (an event bigger than the replay slice goes alone).
    const [resumed, resumedTight] = await Promise.all([
      open('/big/three', { 'last-event-id': expected[0] }),
      open('/big/three/tight', { 'last-event-id': expected[2] }),
    ]);
    expect((await resumed.waitForEvents(5, 10_000)).map((e) => e.data)).toEqual(['a', 'b', big, 'c', 'd']);
    expect((await resumedTight.waitForEvents(3, 10_000)).map((e) => e.data)).toEqual([big, 'c', 'd']);
    expect(broadcaster.stats()['big/three']).toMatchObject({ clients: 5, droppedSlow: 0, replayed: 8 });
    await Promise.all([...streams, resumed, resumedTight].map((s) => s.close()));
  });

  it('a per-client Observable delivers a 3 MiB and a 1 MiB value with small ones around them', async () => {
    const own = await open('/own/big');
    await own.waitForEnd(10_000);
    expect(own.events.map((e) => e.data)).toEqual([bigText(3, 'own'), 'a', 'b', bigText(1, 'one'), 'c']);
    expect(own.events.every((e) => e.event === 'own')).toBe(true);
    const spread = await open('/own/spread');
    await spread.waitForEnd(10_000);
    expect(spread.events.map((e) => e.data)).toEqual([bigText(3, 'spread'), 'a', 'b']);
  });

  it.each([
    ['published in one synchronous burst', false],
    ['each awaited (one write per event)', true],
  ])('a burst of 5 MiB in one turn reaches every reading client: %s', async (_, awaitEach) => {
    const channel = `big/burst-${awaitEach}`;
    const streams = await Promise.all([open(`/${channel}`), open(`/${channel}`), open(`/${channel}/tight`)]);
    const payload = 'z'.repeat(100 * 1024);
    const ids: string[] = [];
    for (let n = 0; n < 50; n++) {
      const id = broadcaster.publish(channel, { n, payload });
      ids.push(awaitEach ? await id : '');
    }
    for (const stream of streams) {
      const events = await stream.waitForEvents(50, 10_000);
      expect(events.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      if (awaitEach) {
        expect(events.map((e) => e.id)).toEqual(ids);
      }
    }
    expect(broadcaster.stats()[channel]).toMatchObject({ clients: 3, droppedSlow: 0 });
    await Promise.all(streams.map((s) => s.close()));
  });

  it('drops a client that stops reading once its backlog has stayed above the bound for slowClientTimeout; only it is counted', async () => {
    const reader = await open('/big/stuck');
    const stuck = await stuckClient(t, '/big/stuck/tight');
    await until(() => broadcaster.clientCount('big/stuck') === 2, 'both clients');
    // Fill the kernel's buffers, then the stuck client's queue just past its 64 KiB bound.
    const payload = 'q'.repeat(16 * 1024);
    let published = 0;
    while (broadcaster.totals().backlogged === 0) {
      broadcaster.publish('big/stuck', { n: published++, payload });
      await nextTurn();
      if (published > 4000) {
        throw new Error(`the stuck client never went above its bound (queued ${broadcaster.totals().queuedBytes} bytes)`);
      }
    }
    const queued = broadcaster.totals().queuedBytes;
    // Above the bound, below the ceiling: kept for now (no timer per client, nothing dropped at once).
    expect(queued).toBeGreaterThan(64 * 1024);
    expect(queued).toBeLessThan(2 * 64 * 1024);
    expect(broadcaster.stats()['big/stuck']).toMatchObject({ clients: 2, droppedSlow: 0 });

    // Nothing more is published: only the timeout (1 s) can drop it now.
    await until(() => broadcaster.stats()['big/stuck'].droppedSlow === 1, 'the stuck client to be dropped', 5000);
    stuck.socket.resume(); // it reads what reached it: the server has closed the connection
    await stuck.closed;
    expect(broadcaster.stats()['big/stuck']).toMatchObject({ clients: 1, droppedSlow: 1 });
    expect((await reader.waitForEvents(published, 10_000)).map((e) => JSON.parse(e.data).n)).toEqual(
      Array.from({ length: published }, (_, n) => n),
    );
    expect(broadcaster.totals()).toMatchObject({ streams: 1, backlogged: 0, queuedBytes: 0 });
    await reader.close();
  });

  it('drops a stuck client at once when what it left unread from earlier turns passes 2 × the bound plus its largest write', async () => {
    // A timeout the test never reaches: only the ceiling can drop the client here.
    const patient = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, limits: { slowClientTimeout: 600_000 } })],
      controllers: [BacklogController],
    });
    const patientBroadcaster = patient.app.get(SseBroadcaster);
    try {
      const stuck = await stuckClient(patient, '/big/ceiling/tight');
      await until(() => patientBroadcaster.clientCount('big/ceiling') === 1, 'the client');
      const payload = 'c'.repeat(16 * 1024);
      let published = 0;
      let mostQueued = 0;
      let largestWrite = 0;
      while (patientBroadcaster.stats()['big/ceiling'].droppedSlow === 0) {
        patientBroadcaster.publish('big/ceiling', { n: published++, payload });
        await nextTurn();
        const { queuedBytes } = patientBroadcaster.totals();
        if (mostQueued > 0 && queuedBytes > mostQueued) {
          // What one write adds to the queue (the frame and the chunked encoding's framing).
          largestWrite = Math.max(largestWrite, queuedBytes - mostQueued);
        }
        mostQueued = Math.max(mostQueued, queuedBytes);
        if (published > 4000) {
          throw new Error('the stuck client was never dropped');
        }
      }
      stuck.socket.resume(); // it reads what reached it: the server has closed the connection
      await stuck.closed;
      // Bounded: 2 × maxQueuedBytes + its largest write, plus what was written to it in the
      // current turn (the library's turn ends at the next check phase of the event loop, so
      // with one write per setImmediate here a turn holds at most two of them).
      expect(largestWrite).toBeGreaterThan(16 * 1024);
      expect(largestWrite).toBeLessThan(17 * 1024);
      expect(mostQueued).toBeGreaterThan(2 * 64 * 1024);
      expect(mostQueued).toBeLessThanOrEqual(2 * 64 * 1024 + 3 * largestWrite);
      expect(patientBroadcaster.totals()).toMatchObject({ streams: 0, backlogged: 0 });
    } finally {
      await patient.close();
    }
  });
});
