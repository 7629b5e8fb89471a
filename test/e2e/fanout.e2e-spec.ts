import { ServerResponse } from 'node:http';
import { jest } from '@jest/globals';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';

/** Data whose serialization we can count: JSON.stringify calls toJSON once per serialization. */
class Counted {
  static calls = 0;
  constructor(readonly marker: string) {}
  toJSON() {
    Counted.calls++;
    return { marker: this.marker };
  }
}

describe.each(PLATFORMS)('fan-out on %s', (platform) => {
  let t: TestApp;
  let broadcaster: SseBroadcaster;

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [DeliveryController] });
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const openMany = (count: number, path: string) =>
    Promise.all(Array.from({ length: count }, () => SseTestStream.open(t.server, { path })));

  it('serializes a channel event once, and encodes its frame once per event name, not once per client', async () => {
    const streams = [...(await openMany(30, '/live/fan')), ...(await openMany(30, '/live/fan/raw'))];
    const encode = jest.spyOn(Buffer, 'from');
    Counted.calls = 0;
    broadcaster.publish('live/fan', new Counted('fan-1'));
    await Promise.all(streams.map((s) => s.waitForEvents(1)));
    const frameEncodings = encode.mock.calls.filter(([value]) => typeof value === 'string' && value.includes('fan-1'));
    expect(Counted.calls).toBe(1);
    expect(frameEncodings).toHaveLength(2); // `update` and `message`, for 60 clients
    expect(streams[0].events[0]).toMatchObject({ event: 'update', data: '{"marker":"fan-1"}' });
    expect(streams[59].events[0]).toMatchObject({ event: 'message', data: '{"marker":"fan-1"}' });
    await Promise.all(streams.map((s) => s.close()));
  });

  it('coalesces the frames of one event-loop turn into one write per client, whole frames only', async () => {
    const streams = await openMany(5, '/live/coalesce');
    const write = jest.spyOn(ServerResponse.prototype, 'write');
    for (let i = 0; i < 20; i++) {
      broadcaster.publish('live/coalesce', `c-${i}`);
    }
    await Promise.all(streams.map((s) => s.waitForEvents(20)));
    const ourWrites = write.mock.calls.filter(([chunk]) => String(chunk).includes('data: c-'));
    expect(ourWrites).toHaveLength(5);
    for (const [chunk] of ourWrites) {
      const text = String(chunk);
      expect(text.startsWith('event: update\nid: ')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(true);
      expect(text.match(/data: c-\d+\n\n/g)).toHaveLength(20);
    }
    await Promise.all(streams.map((s) => s.close()));
  });
});
