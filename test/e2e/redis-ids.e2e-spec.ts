import { Redis } from 'ioredis';
import { RedisTransport, SseBroadcaster, SseEncodingError, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, type TestApp } from '../src/create-app.js';
import { DeliveryController } from '../src/delivery.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';

const KEY_PREFIX = 'ids:';

/**
 * Ids of the Redis transport are unique across channels and across the loss
 * of a channel's Stream: an id a channel never gave out gets the reset event,
 * never a replay of that channel's history.
 */
(redisServerAvailable() ? describe : describe.skip)('Redis transport ids', () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: TestApp;
  let b: TestApp;
  const broadcasterOf = (t: TestApp) => t.app.get(SseBroadcaster);

  const instance = () =>
    createTestApp('express', {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({ heartbeat: 0, transport: new RedisTransport({ connection: redis.url, keyPrefix: KEY_PREFIX }) }),
        }),
      ],
      controllers: [DeliveryController],
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { lazyConnect: false });
    [a, b] = await Promise.all([instance(), instance()]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    admin?.disconnect();
    await redis?.destroy();
  });

  /** Opens `path` on `t` with `lastEventId`, and returns the reset event's data and the first live event after it. */
  async function resume(t: TestApp, path: string, channel: string, lastEventId: string) {
    const stream = await SseTestStream.open(t.server, { path, headers: { 'last-event-id': lastEventId } });
    await stream.waitForEvents(1);
    const live = await broadcasterOf(a).publish(channel, 'live');
    const [reset, next] = await stream.waitForEvents(2);
    await stream.close();
    // (Anything but the reset first: its data as it is, so that a failure shows what was replayed.)
    return { reset, resetData: reset.event === 'sse-reset' ? (JSON.parse(reset.data) as unknown) : reset.data, next, live };
  }

  it('gives channels ids that tell them apart: "<ms>-<seq>.<tag>", one tag per channel', async () => {
    const [one, two] = [await broadcasterOf(a).publish('live/tag-1', 1), await broadcasterOf(b).publish('live/tag-1', 2)];
    const other = await broadcasterOf(a).publish('live/tag-2', 3);
    for (const id of [one, two, other]) {
      expect(id).toMatch(/^\d+-\d+\.[0-9a-z]{5}$/);
    }
    expect(one.split('.')[1]).toBe(two.split('.')[1]);
    expect(other.split('.')[1]).not.toBe(one.split('.')[1]);
  });

  it("sends the reset (unknown-id) for another channel's id, and replays none of this channel's history", async () => {
    const fromA = await broadcasterOf(a).publish('live/ids-a', 'a0');
    await broadcasterOf(a).publish('live/ids-a', 'a1');
    // B's history is all after A's id in time: a Stream id alone would resume B from there.
    const historyOfB = [];
    for (let n = 0; n < 3; n++) {
      historyOfB.push(await broadcasterOf(n % 2 ? a : b).publish('live/ids-b', `b${n}`));
    }
    const { reset, resetData, next, live } = await resume(b, '/live/ids-b', 'live/ids-b', fromA);
    expect(reset).toMatchObject({ event: 'sse-reset', id: historyOfB[2] });
    expect(resetData).toEqual({ reason: 'unknown-id', lastEventId: fromA, channel: 'live/ids-b' });
    expect(next).toMatchObject({ id: live, data: 'live' }); // not b0
    // The same id on its own channel resumes as before.
    const own = await SseTestStream.open(a.server, { path: '/live/ids-a', headers: { 'last-event-id': fromA } });
    expect((await own.waitForEvents(1))[0]).toMatchObject({ data: 'a1' });
    await own.close();
  });

  it('also on an instance whose local window has the channel, for an id that sorts inside it', async () => {
    const watcher = await SseTestStream.open(b.server, { path: '/live/ids-window' });
    await broadcasterOf(b).publish('live/ids-window', 'w0');
    const fromOther = await broadcasterOf(a).publish('live/ids-other', 'x');
    await broadcasterOf(b).publish('live/ids-window', 'w1');
    await watcher.waitForEvents(2);
    const { resetData, next, live } = await resume(b, '/live/ids-window', 'live/ids-window', fromOther);
    expect(resetData).toMatchObject({ reason: 'unknown-id', lastEventId: fromOther });
    expect(next).toMatchObject({ id: live, data: 'live' }); // not w1
    await watcher.close();
  });

  it("sends the reset (unknown-id) for an id from before the channel's Stream was lost (e.g. Redis flushed)", async () => {
    const before = await broadcasterOf(a).publish('live/ids-lost', 'old');
    await broadcasterOf(a).publish('live/ids-lost', 'old too');
    expect(await admin.del(`${KEY_PREFIX}live/ids-lost`)).toBe(1);
    await broadcasterOf(a).publish('live/ids-lost', 'new');
    const { resetData, next, live } = await resume(b, '/live/ids-lost', 'live/ids-lost', before);
    expect(resetData).toEqual({ reason: 'unknown-id', lastEventId: before, channel: 'live/ids-lost' });
    expect(next).toMatchObject({ id: live, data: 'live' }); // not "new"
  });

  it("takes a caller id with the channel's own tag or none, and refuses another channel's id", async () => {
    const other = await broadcasterOf(a).publish('live/ids-caller-other', 'x');
    const tag = (await broadcasterOf(a).publish('live/ids-caller', 'first')).split('.')[1];
    expect(await broadcasterOf(a).publish('live/ids-caller', 'plain', { id: '99999999999990-1' })).toBe(`99999999999990-1.${tag}`);
    expect(await broadcasterOf(a).publish('live/ids-caller', 'tagged', { id: `99999999999990-2.${tag}` })).toBe(`99999999999990-2.${tag}`);
    const foreign = `99999999999990-3.${other.split('.')[1]}`;
    expect(() => broadcasterOf(a).publish('live/ids-caller', 'foreign', { id: foreign })).toThrow(SseEncodingError);
    expect(() => broadcasterOf(a).publish('live/ids-caller', 'foreign', { id: foreign })).toThrow(/an id of another channel is refused/);
  });
});
