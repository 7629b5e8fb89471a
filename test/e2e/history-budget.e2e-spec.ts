import { Controller } from '@nestjs/common';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { forceGc } from '../src/gc.js';

@Controller()
class BudgetController {
  @SseChannel('budget/:name', { path: 'budget/:name' })
  stream(): void {}
}

const MiB = 1024 * 1024;

describe('the history of 20 000 channels (totalHistoryBytes, default 64 MiB)', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('stays within the budget, and the heap after GC within twice the budget', async () => {
    t = await createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [BudgetController] });
    const broadcaster = t.app.get(SseBroadcaster);
    forceGc();
    const heapBefore = process.memoryUsage().heapUsed;
    const text = 'u'.repeat(1000);
    for (let round = 0; round < 10; round++) {
      for (let user = 0; user < 20_000; user++) {
        // JSON of ~1 KB, a new string per publish, as a real payload is.
        broadcaster.publish(`users/${user}`, { user, round, text });
      }
    }
    const totals = broadcaster.totals();
    forceGc();
    const retained = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `20 000 channels × 10 events of ~1 KB: history ${(totals.historyBytes / MiB).toFixed(1)} MiB of ${totals.totalHistoryBytes / MiB} MiB, ` +
        `${totals.evictedEvents} events evicted, heap retained after GC ${(retained / MiB).toFixed(1)} MiB`,
    );
    expect(totals.totalHistoryBytes).toBe(64 * MiB);
    expect(totals.historyBytes).toBeLessThanOrEqual(64 * MiB);
    expect(totals.historyBytes).toBeGreaterThan(60 * MiB);
    expect(totals.evictedEvents).toBeGreaterThan(100_000);
    expect(retained).toBeLessThan(2 * 64 * MiB);
  });
});

describe.each(PLATFORMS)('resuming under totalHistoryBytes on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, lastEventId?: string) =>
    SseTestStream.open(t.server, { path, headers: lastEventId ? { 'last-event-id': lastEventId } : {} });

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, totalHistoryBytes: 16 * 1024 })],
      controllers: [BudgetController],
    });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('evicts the oldest events of channels without clients first; resumes stay exact, evicted ids get the reset', async () => {
    const live = await open('/budget/live');
    const liveIds = await Promise.all([1, 2, 3, 4, 5].map((n) => broadcaster.publish('budget/live', `live ${n}`)));
    const text = 'i'.repeat(1000);
    const idleIds: string[][] = Array.from({ length: 10 }, () => []);
    for (let n = 0; n < 30; n++) {
      idleIds[n % 10].push(await broadcaster.publish(`budget/idle-${n % 10}`, { n, text }));
    }
    const totals = broadcaster.totals();
    expect(totals.historyBytes).toBeLessThanOrEqual(16 * 1024);
    expect(totals.evictedEvents).toBeGreaterThan(10);
    await live.waitForEvents(5);

    // The channel with a client kept all of its history.
    const resumedLive = await open('/budget/live', liveIds[0]);
    expect((await resumedLive.waitForEvents(4)).map((e) => [e.id, e.data])).toEqual(
      liveIds.slice(1).map((id, i) => [id, `live ${i + 2}`]),
    );
    // The newest events of idle channels are still there: an exact resume.
    const recent = await open('/budget/idle-9', idleIds[9][1]);
    const [next] = await recent.waitForEvents(1);
    expect([next.id, JSON.parse(next.data).n]).toEqual([idleIds[9][2], 29]);
    // The oldest were evicted: the reset event says so.
    const evicted = await open('/budget/idle-0', idleIds[0][0]);
    const [reset] = await evicted.waitForEvents(1);
    expect(reset.event).toBe('sse-reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: 'history-exceeded', lastEventId: idleIds[0][0], channel: 'budget/idle-0' });
    expect(reset.id).toBe(idleIds[0][2]);
    await Promise.all([live, resumedLive, recent, evicted].map((s) => s.close()));
  });
});
