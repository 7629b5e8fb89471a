import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { ChannelRegistry } from '../../lib/registry/channel-registry.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS } from '../src/create-app.js';
import { until } from '../src/until.js';
import { DeliveryController } from '../src/delivery.controller.js';

describe.each(PLATFORMS)('lifecycle on %s', (platform) => {
  it('drops a channel whose clients are gone once historyTtl has passed; a client coming back later gets the reset event', async () => {
    const t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, history: { ttl: 40 } })],
      controllers: [DeliveryController],
    });
    const registry = t.app.get(ChannelRegistry);
    const broadcaster = t.app.get(SseBroadcaster);
    try {
      const stream = await SseTestStream.open(t.server, { path: '/live/ttl' });
      const id = await broadcaster.publish('live/ttl', 'kept while a client is there');
      await stream.waitForEvents(1);
      // A channel published to later expires: sweeps have run past the TTL meanwhile.
      broadcaster.publish('live/marker', 'nobody listens');
      await until(() => registry.get('live/marker') === undefined, 'a later idle channel to expire');
      expect(registry.get('live/ttl')).toBeDefined(); // a client is connected: no expiry
      await stream.close();
      broadcaster.publish('live/publish-only', 'nobody listens');
      await until(() => registry.get('live/ttl') === undefined && registry.get('live/publish-only') === undefined, 'the idle channels to expire');
      const back = await SseTestStream.open(t.server, { path: '/live/ttl', headers: { 'last-event-id': id } });
      const [reset] = await back.waitForEvents(1);
      expect(reset.event).toBe('sse-reset');
      expect(JSON.parse(reset.data)).toMatchObject({ reason: 'unknown-id', lastEventId: id });
      await back.close();
    } finally {
      await t.close();
    }
  });

  it('sends the shutdownEvent to every open stream before it ends, channel and per-client alike', async () => {
    const t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, events: { shutdown: 'server-restart' } })],
      controllers: [DeliveryController],
    });
    const streams = await Promise.all([
      SseTestStream.open(t.server, { path: '/live/bye' }),
      SseTestStream.open(t.server, { path: '/live/counter/1000000' }),
    ]);
    await t.close();
    for (const stream of streams) {
      await stream.waitForEnd();
      expect(stream.events.at(-1)).toEqual({ event: 'server-restart', data: '{"reason":"shutdown"}', id: undefined, retry: undefined });
    }
  });
});
