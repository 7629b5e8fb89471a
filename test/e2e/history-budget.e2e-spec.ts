import { Controller } from '@nestjs/common';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';

@Controller()
class BudgetController {
  @SseChannel('budget/:name')
  stream(): void {}
}

describe.each(PLATFORMS)('resuming under totalHistoryBytes on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;
  const open = (path: string, lastEventId?: string) =>
    SseTestStream.open(t.server, { path, headers: lastEventId ? { 'last-event-id': lastEventId } : {} });

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, history: { totalBytes: 16 * 1024 } })],
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
