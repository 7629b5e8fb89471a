import { RedisTransport, SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { startPresenceInstance } from '../src/start-instance.js';
import { createTestApp, type Platform, type TestApp } from '../src/create-app.js';
import { expiresAt, identify, IdentityController } from '../src/identity.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { until } from '../src/until.js';

const hasRedis = redisServerAvailable();
const token = (user: string) => ({ authorization: `Bearer ${user}.${Date.now() + 60_000}` });
const LEASE = 900;

(hasRedis ? describe : describe.skip)('identities on Redis (two instances)', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  const instance = (platform: Platform) =>
    createTestApp(platform, {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({
            heartbeat: 0,
            identities: { identify, expiresAt, presenceLeaveDelay: 100 },
            transport: new RedisTransport({ connection: redis.url, keyPrefix: 'ids:', presenceLease: LEASE }),
          }),
        }),
      ],
      controllers: [IdentityController],
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([instance('express'), instance('fastify')]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.destroy();
  });

  it('disconnect() on A ends the identity\'s streams on A and on B; each instance counts its own', async () => {
    const [onA, onB, onB2, other] = await Promise.all([
      SseTestStream.open(a.server, { path: '/rooms/r1', headers: token('ada') }),
      SseTestStream.open(b.server, { path: '/rooms/r1', headers: token('ada') }),
      SseTestStream.open(b.server, { path: '/me', headers: token('ada') }),
      SseTestStream.open(b.server, { path: '/rooms/r1', headers: token('bob') }),
    ]);
    await until(() => b.app.get(SseBroadcaster).clientCount('rooms/r1') === 2, 'the clients on B');
    expect(await a.app.get(SseBroadcaster).disconnect('ada')).toBe(1);
    await Promise.all([onA.waitForEnd(), onB.waitForEnd(), onB2.waitForEnd()]);
    for (const stream of [onA, onB, onB2]) {
      expect(stream.events.at(-1)).toMatchObject({ event: 'sse-close', data: '{"reason":"revoked"}' });
    }
    await a.app.get(SseBroadcaster).publish('rooms/r1', 'bob is still here');
    expect((await other.waitForEvents(1))[0].data).toBe('bob is still here');
    await other.close();
  });

  it('to / except travel through Redis: live on both instances, and in a replay on the other instance', async () => {
    const [adaOnA, bobOnB] = await Promise.all([
      SseTestStream.open(a.server, { path: '/rooms/t2', headers: token('ada') }),
      SseTestStream.open(b.server, { path: '/rooms/t2', headers: token('bob') }),
    ]);
    await until(
      () => b.app.get(SseBroadcaster).clientCount('rooms/t2') === 1 && a.app.get(SseBroadcaster).clientCount('rooms/t2') === 1,
      'the clients',
    );
    const start = await a.app.get(SseBroadcaster).publish('rooms/t2', 'start');
    const ids = [
      await a.app.get(SseBroadcaster).publish('rooms/t2', 'for bob', { to: 'bob' }),
      await b.app.get(SseBroadcaster).publish('rooms/t2', 'not for bob', { except: ['bob'] }),
      await a.app.get(SseBroadcaster).publish('rooms/t2', 'all'),
    ];
    expect((await adaOnA.waitForEvents(3)).map((e) => e.data)).toEqual(['start', 'not for bob', 'all']);
    expect((await bobOnB.waitForEvents(3)).map((e) => e.data)).toEqual(['start', 'for bob', 'all']);
    // Bob's phone reconnects to A from 'start': the replay is for bob only.
    const bobBack = await SseTestStream.open(a.server, { path: '/rooms/t2', headers: { ...token('bob'), 'last-event-id': start } });
    const marker = await a.app.get(SseBroadcaster).publish('rooms/t2', 'marker');
    expect((await bobBack.waitForEvents(3)).map((e) => e.id)).toEqual([ids[0], ids[2], marker]);
    await Promise.all([adaOnA.close(), bobOnB.close(), bobBack.close()]);
  });

  it('presence across instances: one join and one leave per identity whichever instances its streams are on; identities() everywhere', async () => {
    const watcher = await SseTestStream.open(a.server, { path: '/lobby/x1', headers: token('watcher') });
    const presenceOf = (stream: SseTestStream) =>
      stream.events.filter((e) => e.event === 'sse-join' || e.event === 'sse-leave').map((e) => `${e.event}:${JSON.parse(e.data).identity}`);
    // (Announcements go out in batches: the watcher's own join is out before the viewer comes.)
    await until(() => presenceOf(watcher).length === 1, "the watcher's own join");
    const watcherB = await SseTestStream.open(b.server, { path: '/lobby/x1', headers: token('viewer') });
    await until(() => presenceOf(watcher).length === 2 && presenceOf(watcherB).length === 1, 'the watchers\' joins');
    const onA = await SseTestStream.open(a.server, { path: '/lobby/x1', headers: token('ada') });
    const onB = await SseTestStream.open(b.server, { path: '/lobby/x1/quiet', headers: token('ada') });
    await until(() => presenceOf(watcher).length === 3 && presenceOf(watcherB).length === 2, 'ada\'s join');
    expect(await a.app.get(SseBroadcaster).identities('lobby/x1')).toEqual(['ada', 'viewer', 'watcher']);
    expect(await b.app.get(SseBroadcaster).identities('lobby/x1')).toEqual(['ada', 'viewer', 'watcher']);
    await onA.close(); // ada is still on B
    await onB.close();
    await until(() => presenceOf(watcher).length === 4, 'ada\'s leave');
    const marker = await b.app.get(SseBroadcaster).publish('lobby/x1', 'marker');
    for (const stream of [watcher, watcherB]) {
      await stream.waitFor((events) => events.some((e) => e.id === marker));
    }
    expect(presenceOf(watcher)).toEqual(['sse-join:watcher', 'sse-join:viewer', 'sse-join:ada', 'sse-leave:ada']);
    expect(presenceOf(watcherB)).toEqual(['sse-join:viewer', 'sse-join:ada', 'sse-leave:ada']);
    expect(await b.app.get(SseBroadcaster).identities('lobby/x1')).toEqual(['viewer', 'watcher']);
    await Promise.all([watcher.close(), watcherB.close()]);
  });

  it('an instance killed without shutting down: its identities leave once its lease has run out (within lease × 4/3)', async () => {
    const watcher = await SseTestStream.open(a.server, { path: '/lobby/crash', headers: token('watcher') });
    const { child, port } = await startPresenceInstance([redis.url, 'ids:', String(LEASE)]);
    try {
      const zed = await SseTestStream.open(`http://127.0.0.1:${port}`, { path: '/lobby/crash', headers: { 'x-user': 'zed' } });
      await watcher.waitFor((events) => events.some((e) => e.event === 'sse-join' && e.data.includes('zed')));
      expect(await a.app.get(SseBroadcaster).identities('lobby/crash')).toEqual(['watcher', 'zed']);
      child.kill('SIGKILL');
      const killed = Date.now();
      await watcher.waitFor((events) => events.some((e) => e.event === 'sse-leave' && e.data.includes('zed')), { timeout: 10_000 });
      const took = Date.now() - killed;
      console.log(`presence: a killed instance's identity left after ${took} ms (lease ${LEASE} ms)`);
      expect(await a.app.get(SseBroadcaster).identities('lobby/crash')).toEqual(['watcher']);
      void zed;
    } finally {
      child.kill('SIGKILL');
      await watcher.close();
    }
  });
});
