import { jest } from '@jest/globals';
import { metrics as otelMetrics } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import { ChannelTemplates, UNROUTED } from '../../lib/metrics/channel-templates.js';
import { httpRoute } from '../../lib/metrics/route-meter.js';
import { SseMetrics } from '../../lib/metrics/sse-metrics.js';
import { createSseMetrics } from '../../lib/metrics/sse-metrics.provider.js';
import { resolveModuleOptions } from '../../lib/options/module-options.js';
import { Channel } from '../../lib/channel/channel.js';
import type { ChannelEvent } from '../../lib/feed/history.js';
import { entry, fakeConnection, fakeSession, microtasks, ScriptedFeed } from '../src/fakes.js';
import { TestMetrics } from '../src/test-metrics.js';

const TEMPLATE = { 'sse.channel.template': 'rooms/:id' };

function setup() {
  const otel = new TestMetrics();
  const metrics = new SseMetrics(otel.meterProvider);
  metrics.templates.add('rooms/:id');
  const feed = new ScriptedFeed();
  const hooks = { onBusy: jest.fn(), onIdle: jest.fn(), onReadFailure: jest.fn(), onEnded: jest.fn() };
  const channel = new Channel('rooms/1', { resetEvent: 'sse-reset', endEvent: 'sse-end' }, feed.attach, hooks, metrics.channel('rooms/1'));
  return { otel, metrics, feed, channel };
}

describe('ChannelTemplates', () => {
  it('counts a channel under the declared name it matches: a fixed name first, then the template with more fixed segments', () => {
    const templates = new ChannelTemplates();
    for (const name of ['rooms/:id', 'news/:topic', 'news/internal', 'users/:id/:tab', 'users/:id/feed', 'a-:b']) {
      templates.add(name);
    }
    expect(templates.of('rooms/42')).toBe('rooms/:id');
    expect(templates.of('news/internal')).toBe('news/internal');
    expect(templates.of('news/sport')).toBe('news/:topic');
    expect(templates.of('users/7/feed')).toBe('users/:id/feed');
    expect(templates.of('users/7/likes')).toBe('users/:id/:tab');
    // Not a template of any shape declared (and `a-:b` is no valid template): never the name itself.
    expect(templates.of('rooms/42/extra')).toBe(UNROUTED);
    expect(templates.of('a-x')).toBe(UNROUTED);
    expect(templates.of('lobby')).toBe(UNROUTED);
  });
});

describe('channel metrics', () => {
  it('counts frames written per event and client, but records the publish-to-write delay once per event and turn', async () => {
    const { otel, feed, channel } = setup();
    const clients = [fakeConnection('chat'), fakeConnection('chat'), fakeConnection('notice')];
    clients.forEach(({ connection }) => channel.join(connection));
    feed.emit(entry('1', 'a'));
    feed.emit(entry('2', 'b'));
    await microtasks();
    feed.emit(entry('3', 'c'));
    await microtasks();
    const snapshot = await otel.collect();
    expect(snapshot.value('sse.events.delivered', TEMPLATE)).toBe(9);
    expect(snapshot.count('sse.events.delivery.duration', TEMPLATE)).toBe(3);
    // (Delays of microseconds, in seconds.)
    expect(snapshot.value('sse.events.delivery.duration', TEMPLATE)).toBeLessThan(1);
    expect(snapshot.attributeValues()).not.toContain('rooms/1');
  });

  it('counts only the frames each identity gets when events are targeted, and none for a client gone', async () => {
    const { otel, feed, channel } = setup();
    const identified = (identity: string) => fakeConnection('', 0, undefined, identity);
    const [ann1, ann2, bob, gone] = [identified('ann'), identified('ann'), identified('bob'), fakeConnection()];
    [ann1, ann2, bob, gone].forEach(({ connection }) => channel.join(connection));
    gone.connection.end();
    feed.emit(entry('1', 'for everyone'));
    feed.emit({ ...entry('2', 'for ann'), audience: { to: ['ann'] } } satisfies ChannelEvent);
    await microtasks();
    expect(ann1.response.text).toBe('id: 1\ndata: for everyone\n\nid: 2\ndata: for ann\n\n');
    expect(bob.response.text).toBe('id: 1\ndata: for everyone\n\n');
    const snapshot = await otel.collect();
    expect(snapshot.value('sse.events.delivered', TEMPLATE)).toBe(2 + 2 + 1);
    expect(snapshot.count('sse.events.delivery.duration', TEMPLATE)).toBe(2);
  });

  it('counts replayed frames and resets by reason', async () => {
    const { otel, feed, channel } = setup();
    feed.lastId = '3';
    feed.answers.set('1', { events: [entry('2', 'b'), entry('3', 'c')] });
    feed.answers.set('old', { events: [], reset: 'history-exceeded' });
    feed.answers.set('alien', { events: [], reset: 'unknown-id' });
    const resuming = fakeConnection();
    channel.join(resuming.connection, '1');
    channel.join(fakeConnection().connection, 'old');
    channel.join(fakeConnection().connection, 'alien');
    channel.join(fakeConnection().connection, 'alien');
    await microtasks();
    expect(resuming.response.text).toBe('id: 2\ndata: b\n\nid: 3\ndata: c\n\n');
    const snapshot = await otel.collect();
    expect(snapshot.value('sse.events.replayed', TEMPLATE)).toBe(2);
    expect(snapshot.value('sse.events.delivered', TEMPLATE)).toBe(0);
    expect(snapshot.points('sse.events.resets')).toEqual([
      { attributes: { ...TEMPLATE, 'sse.reset.reason': 'history-exceeded' }, value: 1 },
      { attributes: { ...TEMPLATE, 'sse.reset.reason': 'unknown-id' }, value: 2 },
    ]);
  });

  it('counts publishes by channel template and event name; a channel of no declared shape as (unrouted)', async () => {
    const { otel, metrics, channel } = setup();
    metrics.published('rooms/1', channel.meter, undefined);
    metrics.published('rooms/2', undefined, undefined);
    metrics.published('rooms/2', undefined, 'chat');
    metrics.published('users/1', undefined, 'chat');
    const snapshot = await otel.collect();
    expect(snapshot.points('sse.events.published')).toEqual(
      expect.arrayContaining([
        { attributes: TEMPLATE, value: 2 },
        { attributes: { ...TEMPLATE, 'sse.event.name': 'chat' }, value: 1 },
        { attributes: { 'sse.channel.template': UNROUTED, 'sse.event.name': 'chat' }, value: 1 },
      ]),
    );
  });
});

describe('stream metrics', () => {
  it('counts bytes written (strings as UTF-8, the last frame too), and a stream opened and closed by reason', async () => {
    const otel = new TestMetrics();
    const metrics = new SseMetrics(otel.meterProvider);
    const route = metrics.route({ route: { path: '/rooms/:id' } }, 'Rooms.join');
    const { connection } = fakeSession({ meter: route });
    expect((await otel.collect()).value('sse.streams.active', { 'http.route': '/rooms/:id' })).toBe(1);
    connection.write('data: é\n\n');
    connection.write(Buffer.from('data: 1\n\n'));
    connection.end('event: sse-close\ndata: {"reason":"revoked"}\n\n', 'revoked');
    const snapshot = await otel.collect();
    const closeFrame = 'event: sse-close\ndata: {"reason":"revoked"}\n\n';
    expect(snapshot.value('sse.streams.written', { 'http.route': '/rooms/:id' })).toBe(10 + 9 + closeFrame.length);
    expect(snapshot.value('sse.streams.active')).toBe(0);
    expect(snapshot.value('sse.streams.opened', { 'http.route': '/rooms/:id' })).toBe(1);
    expect(snapshot.points('sse.streams.closed')).toEqual([{ attributes: { 'http.route': '/rooms/:id', 'sse.close.reason': 'revoked' }, value: 1 }]);
  });

  it("takes the route's path template from Express or Fastify, else the fallback", () => {
    expect(httpRoute({ route: { path: '/api/rooms/:id' } }, 'X.y')).toBe('/api/rooms/:id');
    expect(httpRoute({ routeOptions: { url: '/rooms/:id' } }, 'X.y')).toBe('/rooms/:id');
    expect(httpRoute({ route: { path: /regex/ } }, 'X.y')).toBe('X.y');
    expect(httpRoute({}, 'X.y')).toBe('X.y');
  });
});

describe('the metrics option', () => {
  afterEach(() => otelMetrics.disable());

  it.each([
    ['yes', /Invalid SseModule options.metrics "yes": pass true, false, or \{ meterProvider \}/],
    [{ meterProvider: {} }, /Invalid SseModule options.metrics \{"meterProvider":\{\}\}: pass true, false, or \{ meterProvider \}/],
    [{ provider: {} }, /Unknown option "provider" in SseModule options.metrics. Known options: meterProvider/],
  ])('refuses %j at start-up, saying what to pass', (value, message) => {
    expect(() => resolveModuleOptions({ metrics: value as never })).toThrow(message);
  });

  it('records nothing, at no cost, when off or when no SDK registered a MeterProvider (and warns only when asked for)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      expect(await createSseMetrics(resolveModuleOptions({ metrics: false }))).toBeNull();
      expect(await createSseMetrics(resolveModuleOptions({}))).toBeNull();
      expect(warn).not.toHaveBeenCalled();
      expect(await createSseMetrics(resolveModuleOptions({ metrics: true }))).toBeNull();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/no OpenTelemetry SDK has registered a MeterProvider .* nothing is recorded\. Start the SDK before/));
    } finally {
      warn.mockRestore();
    }
  });

  it('records to the global MeterProvider an SDK registered, or to the one passed; the channels option names templates', async () => {
    const global = new TestMetrics();
    otelMetrics.setGlobalMeterProvider(global.meterProvider);
    const fromGlobal = await createSseMetrics(resolveModuleOptions({ channels: { 'users/:id': { size: 10 } } }));
    expect(fromGlobal).toBeInstanceOf(SseMetrics);
    fromGlobal!.published('users/1', undefined, undefined);
    expect((await global.collect()).value('sse.events.published', { 'sse.channel.template': 'users/:id' })).toBe(1);

    const own = new TestMetrics();
    const passed = await createSseMetrics(resolveModuleOptions({ metrics: { meterProvider: own.meterProvider } }));
    passed!.published('users/1', undefined, undefined);
    expect((await own.collect()).value('sse.events.published', { 'sse.channel.template': UNROUTED })).toBe(1);
    // The MCP store's streams count under <mcp.prefix>/:stream, never one series per stream.
    passed!.published('mcp/AbCdEfGhIjKlMnOpQrStUv', undefined, undefined);
    passed!.published('mcp/ZyXwVuTsRqPoNmLkJiHgFe', undefined, undefined);
    expect((await own.collect()).value('sse.events.published', { 'sse.channel.template': 'mcp/:stream' })).toBe(2);
    // Once the application shuts down, its sums are no longer read.
    passed!.onApplicationShutdown();
    passed!.published('users/1', undefined, undefined);
    expect((await own.collect()).value('sse.events.published', { 'sse.channel.template': UNROUTED })).toBe(1);
  });
});
