import { spawnSync } from 'node:child_process';
import { RedisTransport, SseBroadcaster, SseModule, SseTransportError, type SseModuleOptions } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../src/create-app.js';
import { MetricsController } from '../src/metrics.controller.js';
import { RedisServer, redisServerAvailable } from '../src/redis-server.js';
import { stuckClient } from '../src/stuck-client.js';
import { TestMetrics, type TestMetricsSnapshot } from '../src/test-metrics.js';
import { until } from '../src/until.js';

const ROOMS = { 'http.route': '/rooms/:id' };
const ROOM_TEMPLATE = { 'sse.channel.template': 'rooms/:id' };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** An app with the metrics suite's routes, recording to a MeterProvider of its own. */
async function metricsApp(platform: Platform, options: Omit<SseModuleOptions, 'global'> = {}): Promise<{ t: TestApp; otel: TestMetrics }> {
  const otel = new TestMetrics();
  const t = await createTestApp(platform, {
    imports: [SseModule.forRoot({ heartbeat: 0, ...options, limits: { slowClientTimeout: 200, ...options.limits }, metrics: { meterProvider: otel.meterProvider } })],
    controllers: [MetricsController],
  });
  return { t, otel };
}

/** No attribute of any point names a channel built from params. */
function expectBoundedAttributes(snapshot: TestMetricsSnapshot, channels: string[]): void {
  const values = snapshot.attributeValues();
  expect(values.length).toBeGreaterThan(0);
  for (const channel of channels) {
    expect(values.filter((value) => value.includes(channel))).toEqual([]);
  }
}

describe.each(PLATFORMS)('metrics on %s', (platform) => {
  let t: TestApp;
  let otel: TestMetrics;
  let broadcaster: SseBroadcaster;
  const open = (path: string, headers: Record<string, string> = {}) => SseTestStream.open(t.server, { path, headers });
  const closedBy = async (reason: string, route: string) =>
    (await otel.collect()).value('sse.streams.closed', { 'http.route': route, 'sse.close.reason': reason });

  beforeAll(async () => {
    ({ t, otel } = await metricsApp(platform));
    broadcaster = t.app.get(SseBroadcaster);
  });
  afterAll(() => t.close());

  it('counts open streams, events published and delivered, bytes written and the delay, by route and channel template', async () => {
    const streams = await Promise.all([open('/rooms/1'), open('/rooms/1'), open('/rooms/2')]);
    await broadcaster.publish('rooms/1', 'a');
    await broadcaster.publish('rooms/1', 'b', { event: 'chat' });
    await broadcaster.publish('rooms/2', 'c');
    await broadcaster.publish('lobby', 'nobody listens');
    await Promise.all([streams[0].waitForEvents(2), streams[1].waitForEvents(2), streams[2].waitForEvents(1)]);

    const snapshot = await otel.collect();
    expect(snapshot.value('sse.streams.active', ROOMS)).toBe(3);
    expect(snapshot.value('sse.streams.opened', ROOMS)).toBe(3);
    expect(snapshot.points('sse.events.published')).toEqual(
      expect.arrayContaining([
        { attributes: ROOM_TEMPLATE, value: 2 },
        { attributes: { ...ROOM_TEMPLATE, 'sse.event.name': 'chat' }, value: 1 },
        // A channel that no route's channel can name.
        { attributes: { 'sse.channel.template': '(unrouted)' }, value: 1 },
      ]),
    );
    // One frame per event and client; the delay once per event.
    expect(snapshot.value('sse.events.delivered', ROOM_TEMPLATE)).toBe(2 * 2 + 1);
    expect(snapshot.count('sse.events.delivery.duration', ROOM_TEMPLATE)).toBe(3);
    expect(snapshot.value('sse.events.delivery.duration', ROOM_TEMPLATE)).toBeLessThan(3);
    // Every byte the clients read after the headers.
    expect(snapshot.value('sse.streams.written', ROOMS)).toBe(streams.reduce((total, s) => total + Buffer.byteLength(s.raw), 0));
    expectBoundedAttributes(snapshot, ['rooms/1', 'rooms/2', 'lobby']);

    await Promise.all(streams.map((s) => s.close()));
    await until(() => broadcaster.clientCount('rooms/1') + broadcaster.clientCount('rooms/2') === 0, 'the server to see the clients go');
    const after = await otel.collect();
    expect(after.value('sse.streams.active', ROOMS)).toBe(0);
    expect(after.value('sse.streams.closed', { ...ROOMS, 'sse.close.reason': 'client' })).toBe(3);
  });

  it('counts events replayed after a Last-Event-ID, and resets by reason', async () => {
    const before = await otel.collect();
    const ids = [await broadcaster.publish('rooms/9', 'x'), await broadcaster.publish('rooms/9', 'y'), await broadcaster.publish('rooms/9', 'z')];
    const resumed = await open('/rooms/9', { 'last-event-id': ids[0] });
    expect((await resumed.waitForEvents(2)).map((e) => e.data)).toEqual(['y', 'z']);
    const lost = await open('/rooms/9', { 'last-event-id': 'not-an-id-of-this-channel' });
    expect((await lost.waitForEvents(1))[0].event).toBe('sse-reset');
    const after = await otel.collect();
    expect(after.value('sse.events.replayed', ROOM_TEMPLATE) - before.value('sse.events.replayed', ROOM_TEMPLATE)).toBe(2);
    expect(after.points('sse.events.resets')).toEqual([{ attributes: { ...ROOM_TEMPLATE, 'sse.reset.reason': 'unknown-id' }, value: 1 }]);
    expectBoundedAttributes(after, ['rooms/9']);
    await Promise.all([resumed.close(), lost.close()]);
  });

  it('counts a client that stops reading as closed for being slow, on its route', async () => {
    const stuck = await stuckClient(t, '/feeds/stuck/tight');
    await until(() => broadcaster.clientCount('feeds/stuck') === 1, 'the stuck client');
    const payload = 'q'.repeat(16 * 1024);
    for (let n = 0; broadcaster.clientCount('feeds/stuck') === 1; n++) {
      broadcaster.publish('feeds/stuck', { n, payload });
      await nextTurn();
      if (n > 4000) {
        throw new Error('the stuck client was never dropped');
      }
    }
    stuck.socket.resume(); // it reads what reached it: the server has closed the connection
    await stuck.closed;
    expect(await closedBy('slow', '/feeds/:topic/tight')).toBe(1);
    expect((await otel.collect()).value('sse.streams.active', { 'http.route': '/feeds/:topic/tight' })).toBe(0);
  });

  it('counts why the server ended streams: an Observable that completed, a revoked identity, a channel that ended', async () => {
    const own = await open('/own');
    await own.waitForEnd();
    expect(own.events.map((e) => e.data)).toEqual(['a', 'b']);
    expect(await closedBy('complete', '/own')).toBe(1);

    const ann = await open('/inbox/ann', { 'x-user': 'ann' });
    expect(await broadcaster.disconnect('ann')).toBe(1);
    await ann.waitForEnd();
    expect(await closedBy('revoked', '/inbox/:user')).toBe(1);

    const run = await open('/rooms/run');
    await broadcaster.end('rooms/run');
    await run.waitForEnd();
    expect(await closedBy('ended', '/rooms/:id')).toBe(1);
  });

  it('adds no series however many room ids, Last-Event-IDs and identities clients make up', async () => {
    const series = (snapshot: TestMetricsSnapshot) =>
      [...snapshot.metrics.keys()].map((name) => `${name}: ${snapshot.points(name).length}`).sort();
    // Every kind of point once, under the templates.
    const warm = await open('/rooms/warm-up');
    await broadcaster.publish('rooms/warm-up', 'x');
    await warm.waitForEvents(1);
    await open('/rooms/warm-up', { 'last-event-id': 'made-up' }).then((s) => s.waitForEvents(1).then(() => s.close()));
    const warmInbox = await open('/inbox/warm', { 'x-user': 'warm' });
    await Promise.all([warm.close(), warmInbox.close()]);
    await until(() => broadcaster.clientCount('rooms/warm-up') + broadcaster.clientCount('inbox/warm') === 0, 'the warm-up clients to go');
    const before = series(await otel.collect());

    const ids = Array.from({ length: 60 }, (_, n) => `hostile-${n}-${'x'.repeat(n)}`);
    const streams = await Promise.all(ids.map((id, n) => open(`/rooms/${id}`, { 'last-event-id': `forged-${n}` })));
    await Promise.all(streams.map((stream) => stream.waitForEvents(1))); // each one's reset
    const inboxes = await Promise.all(ids.slice(0, 20).map((id) => open(`/inbox/${id}`, { 'x-user': id })));
    expect(inboxes.map((inbox) => inbox.status)).toEqual(inboxes.map(() => 200));
    await Promise.all(ids.map((id) => broadcaster.publish(`rooms/${id}`, 'hi')));
    await Promise.all(streams.map((stream) => stream.waitForEvents(2)));
    await Promise.all([...streams, ...inboxes].map((stream) => stream.close()));
    await until(() => ids.every((id) => broadcaster.clientCount(`rooms/${id}`) + broadcaster.clientCount(`inbox/${id}`) === 0), 'the clients to go');

    const after = await otel.collect();
    expect(series(after)).toEqual(before);
    expectBoundedAttributes(after, ['hostile-', 'forged-']);
  });

  it('counts requests refused before a stream opened, by reason, apart from the streams', async () => {
    const first = await open('/inbox/bob', { 'x-user': 'bob' });
    const second = await open('/inbox/bob', { 'x-user': 'bob' });
    expect(second.status).toBe(429);
    const expired = await open('/inbox/eve', { 'x-user': 'eve', 'x-expires': String(Date.now() - 1000) });
    expect(expired.status).toBe(401);
    const snapshot = await otel.collect();
    const inbox = { 'http.route': '/inbox/:user' };
    expect(snapshot.value('sse.streams.refused', { ...inbox, 'sse.refusal.reason': 'max_clients_per_identity' })).toBe(1);
    expect(snapshot.value('sse.streams.refused', { ...inbox, 'sse.refusal.reason': 'expired' })).toBe(1);
    expect(snapshot.value('sse.streams.active', inbox)).toBe(1);
    expectBoundedAttributes(snapshot, ['inbox/bob', 'inbox/eve']);
    await first.close();
  });

  it('counts refusals at maxClients (503), and the streams ended when the application shuts down', async () => {
    const capped = await metricsApp(platform, { limits: { maxClients: 1 } });
    let closed = false;
    try {
      const stream = await SseTestStream.open(capped.t.server, { path: '/rooms/1' });
      const refused = await SseTestStream.open(capped.t.server, { path: '/rooms/1' });
      expect(refused.status).toBe(503);
      expect((await capped.otel.collect()).value('sse.streams.refused', { ...ROOMS, 'sse.refusal.reason': 'max_clients' })).toBe(1);
      await capped.t.close();
      closed = true;
      await stream.waitForEnd();
      const snapshot = await capped.otel.collect();
      expect(snapshot.value('sse.streams.closed', { ...ROOMS, 'sse.close.reason': 'shutdown' })).toBe(1);
      expect(snapshot.value('sse.streams.active', ROOMS)).toBe(0);
    } finally {
      if (!closed) {
        await capped.t.close();
      }
    }
  });
});

const hasRedis = redisServerAvailable();

(hasRedis ? describe : describe.skip)('metrics with the Redis transport', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis?.destroy());

  it('counts deliveries from Redis, and transport errors by operation while Redis is down', async () => {
    const otel = new TestMetrics();
    const t = await createTestApp('express', {
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({
            heartbeat: 0,
            transport: new RedisTransport({ connection: redis.url, keyPrefix: 'metrics:' }),
            metrics: { meterProvider: otel.meterProvider },
          }),
        }),
      ],
      controllers: [MetricsController],
    });
    const broadcaster = t.app.get(SseBroadcaster);
    try {
      const stream = await SseTestStream.open(t.server, { path: '/rooms/1' });
      await broadcaster.publish('rooms/1', 'via Redis');
      await stream.waitForEvents(1);
      const snapshot = await otel.collect();
      expect(snapshot.value('sse.events.delivered', ROOM_TEMPLATE)).toBe(1);
      expect(snapshot.count('sse.events.delivery.duration', ROOM_TEMPLATE)).toBe(1);

      await redis.stop();
      const errors = async (operation: string) =>
        (await otel.collect()).value('sse.transport.errors', { 'sse.transport.operation': operation });
      const deadline = Date.now() + 5000;
      while ((await errors('connection')) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await errors('connection')).toBeGreaterThan(0);
      await expect(broadcaster.publish('rooms/1', 'lost')).rejects.toBeInstanceOf(SseTransportError);
      expect(await errors('publish')).toBe(1);

      // Redis is back (publishes fail, and are counted, until ioredis has reconnected).
      await redis.resume();
      const back = Date.now() + 10_000;
      while ((await broadcaster.publish('rooms/1', 'back').catch(() => undefined)) === undefined && Date.now() < back) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await stream.waitFor((events) => events.some((e) => e.data === 'back'), { what: 'the event published once Redis is back' });
      await stream.close();
    } finally {
      await t.close();
    }
  });
});

describe('without @opentelemetry/api installed', () => {
  it('the built library loads, streams and publishes (metrics left out), and metrics: true says how to install it', () => {
    const run = spawnSync(process.execPath, ['--import', './test/src/hide-package.mjs', 'test/src/metrics-without-api.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, SSE_HIDE_PACKAGE: '@opentelemetry/api' },
      timeout: 15_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      'api hidden: ERR_MODULE_NOT_FOUND',
      'event: {"text":"hello"}',
      'metrics: true → SseModule options.metrics is true, but "@opentelemetry/api", an optional peer dependency of nestjs-sse-channel, is not installed. Run: npm install @opentelemetry/api (and start the OpenTelemetry SDK), or pass metrics: { meterProvider }, or leave metrics out.',
    ]);
    expect(run.status).toBe(0);
  });
});
