// Stress: many streams and long connect/disconnect loops, with heap figures.
// Run by `npm run test:stress` (and once by .ci/run), not by `npm test`.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { ConnectionTracker } from '../../lib/tracker/connection-tracker.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { forceGc } from '../src/gc.js';

const STREAMS = 10_000;
const CYCLES = 10_000;
const MiB = 1024 * 1024;

const gcHeap = () => {
  forceGc();
  return process.memoryUsage().heapUsed;
};

/** Opens a stream on a raw socket, waits for the headers, then hangs up. */
function connectAndLeave(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      if (head.includes('\r\n\r\n')) {
        if (!head.startsWith('HTTP/1.1 200')) {
          reject(new Error(`unexpected response: ${head.split('\r\n')[0]}`));
        }
        socket.destroy();
      }
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

describe.each(PLATFORMS)('lifecycle under load on %s', (platform) => {
  it(`app.close() ends ${STREAMS} open streams promptly, stops the heartbeat, and every client sees its end`, async () => {
    const t: TestApp = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 1000 })],
      controllers: [DeliveryController],
    });
    const tracker = t.app.get(ConnectionTracker);
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'many-clients.mjs'), `${t.url}/live/shutdown`, String(STREAMS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const said: string[] = [];
    const waitFor = (prefix: string) =>
      new Promise<string>((resolve, reject) => {
        const check = (line: string) => line.startsWith(prefix) && resolve(line);
        said.forEach(check);
        lines.on('line', (line) => {
          said.push(line);
          check(line);
          if (line.startsWith('timeout')) reject(new Error(line));
        });
      });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      expect(await waitFor('open')).toBe(`open ${STREAMS}`);
      expect(tracker.count).toBe(STREAMS);
      expect(tracker.heartbeat.timerCount).toBe(1);
      const started = performance.now();
      await t.close();
      const closeMs = performance.now() - started;
      expect(await waitFor('ended')).toBe(`ended ${STREAMS}`);
      expect(await exited).toBe(0);
      expect(tracker.count).toBe(0);
      expect(tracker.heartbeat.timerCount).toBe(0);
      // A measurement for the record, not an assertion: timings belong in bench/.
      console.log(`[${platform}] app.close() with ${STREAMS} open streams took ${closeMs.toFixed(0)} ms`);
    } finally {
      child.kill();
    }
  }, 90_000);

  it(`${CYCLES} connect/disconnect cycles leave nothing behind (heap and channel maps back to baseline)`, async () => {
    const t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 15_000, channels: { 'live/:topic': { size: 0 } } })],
      controllers: [DeliveryController],
    });
    const registry = t.app.get(ChannelRegistry);
    const tracker = t.app.get(ConnectionTracker);
    const broadcaster = t.app.get(SseBroadcaster);
    const port = Number(new URL(t.url).port);
    const channelCount = () => [...registry.entries()].length;
    const run = async (cycles: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < cycles) {
            const path = next % 2 === 0 ? '/live/churn' : `/live/churn-${next % 100}/raw`;
            next++;
            await connectAndLeave(port, path);
          }
        }),
      );
      const start = Date.now();
      while (tracker.count > 0 && Date.now() - start < 5000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      const channelsBefore = channelCount();
      await run(1000); // warm-up: JIT, pools, lazily created objects
      const heapBefore = gcHeap();
      await run(CYCLES);
      const heapAfter = gcHeap();
      expect(tracker.count).toBe(0);
      expect(broadcaster.clientCount('live/churn')).toBe(0);
      expect(tracker.heartbeat.timerCount).toBe(0);
      expect(channelCount()).toBe(channelsBefore);
      console.log(
        `[${platform}] heap after warm-up ${(heapBefore / MiB).toFixed(1)} MiB, after ${CYCLES} cycles ${(heapAfter / MiB).toFixed(1)} MiB`,
      );
      // A leak of even 1 KiB per connection would add ~10 MiB.
      expect(heapAfter - heapBefore).toBeLessThan(4 * MiB);
    } finally {
      await t.close();
    }
  }, 120_000);

});
