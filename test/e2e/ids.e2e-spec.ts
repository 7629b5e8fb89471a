import { Controller } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { ACCEPTED_IDS, roundTripIds, type SeenEvent } from '../src/id-round-trip.js';

@Controller()
class RoundTripController {
  @SseChannel('rt/:worker', { retry: 5 })
  stream(): void {}
}

describe.each(PLATFORMS)('ids that come back intact, on %s', (platform) => {
  let t: TestApp;
  afterAll(() => t.close());

  it(`every id the rule accepts (${ACCEPTED_IDS.length} kinds) resumes exactly through eventsource 4.1's reconnect`, async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [RoundTripController] });
    const broadcaster = t.app.get(SseBroadcaster);
    const workers = 8;
    const seen: SeenEvent[][] = Array.from({ length: workers }, () => []);
    const waiters = new Set<() => void>();
    const sources = seen.map((events, w) => {
      const source = new EventSource(`${t.url}/rt/${w}`);
      for (const type of ['message', 'sse-reset']) {
        source.addEventListener(type, (e) => {
          events.push({ type, data: e.data, lastEventId: e.lastEventId });
          waiters.forEach((check) => check());
        });
      }
      return source;
    });
    try {
      await roundTripIds(
        broadcaster,
        {
          waitFor: (w, data) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`worker ${w} never got ${JSON.stringify(data)}: ${JSON.stringify(seen[w].slice(-3))}`)), 10_000);
              const check = () => {
                if (seen[w].some((e) => e.data === data)) {
                  clearTimeout(timer);
                  waiters.delete(check);
                  resolve();
                }
              };
              waiters.add(check);
              check();
            }),
          events: async (w) => seen[w],
        },
        { workers, prefix: 'rt/' },
      );
    } finally {
      sources.forEach((source) => source.close());
    }
  });
});
