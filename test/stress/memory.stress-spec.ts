// Stress: memory figures (heap and buffers after GC). Run by `npm run test:stress`
// (and once by .ci/run), not by `npm test`.
import { Controller } from '@nestjs/common';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { BacklogController } from '../src/backlog.controller.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { forceGc } from '../src/gc.js';
import { stuckClient } from '../src/stuck-client.js';
import { until } from '../src/until.js';

@Controller()
class BudgetController {
  @SseChannel('budget/:name')
  stream(): void {}
}

const MiB = 1024 * 1024;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('memory: the history of 20 000 channels (totalHistoryBytes, default 64 MiB)', () => {
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


describe.each(PLATFORMS)('memory: a dropped slow client on %s', (platform) => {
  it('releases the frames queued for it', async () => {
    const t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [BacklogController] });
    const broadcaster = t.app.get(SseBroadcaster);
    try {
      const reader = await SseTestStream.open(t.server, { path: '/big/memory' });
      const stuck = await stuckClient(t, '/big/memory/tight');
      await until(() => broadcaster.clientCount('big/memory') === 2, 'both clients');
      forceGc();
      const buffersBefore = process.memoryUsage().arrayBuffers;
      const payload = 'm'.repeat(32 * 1024);
      let published = 0;
      while (broadcaster.stats()['big/memory'].droppedSlow === 0) {
        broadcaster.publish('big/memory', { n: published++, payload });
        await nextTurn();
      }
      await reader.waitForEvents(published, 15_000);
      stuck.socket.resume();
      await stuck.closed;
      let released = Infinity;
      await until(() => {
        forceGc();
        released = process.memoryUsage().arrayBuffers - buffersBefore;
        return released < 1 * MiB;
      }, 'the queued frames to be released');
      console.log(`[${platform}] ${published} events of 32 KiB; after the drop ${(released / 1024).toFixed(0)} KiB of buffers above the baseline`);
      await reader.close();
    } finally {
      await t.close();
    }
  });
});
