import { jest } from '@jest/globals';
import { Logger, RequestMethod } from '@nestjs/common';
import { CONNECT_SCHEMA, PUBLISH_SCHEMA, resolveConnectOptions, resolvePublishOptions } from '../../lib/options/broadcaster-options.js';
import { CHANNEL_SCHEMA, MODULE_SCHEMA, resolveModuleOptions } from '../../lib/options/module-options.js';
import { REDIS_TRANSPORT_SCHEMA, resolveRedisTransportOptions } from '../../lib/transport/redis/redis-transport-options.js';
import { resolveRouteOptions, ROUTE_SCHEMA } from '../../lib/options/route-options.js';
import { aliasesOf, knownKeys } from '../../lib/options/schema.js';
import { forgetDeprecationWarnings } from '../../lib/options/deprecation.js';
import { closest } from '../../lib/util/closest.js';
import { SseModule } from '../../lib/sse.module.js';
import { RedisTransport } from '../../lib/transport/redis/redis.transport.js';
import { SseEncodingError } from '../../lib/wire/encoder.js';
import type { SseModuleOptions } from '../../lib/interfaces/sse-module-options.interface.js';

const warnings = () => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
const pick = (object: unknown, path: readonly string[]) => path.reduce((value, key) => (value as Record<string, unknown>)[key], object);
const transformFn = (data: unknown) => data;
const identifyFn = () => 'ann';

beforeEach(() => {
  forgetDeprecationWarnings();
  jest.restoreAllMocks();
});

describe('the module options schema', () => {
  it('has about ten top-level keys, each group its own', () => {
    expect(Object.keys(MODULE_SCHEMA)).toEqual([
      'global',
      'heartbeat',
      'retry',
      'transform',
      'history',
      'limits',
      'identities',
      'events',
      'channels',
      'transport',
      'metrics',
      'mcp',
    ]);
    expect(Object.keys(MODULE_SCHEMA.mcp.group!)).toEqual(['prefix']);
    expect(Object.keys(MODULE_SCHEMA.history.group!)).toEqual(['size', 'bytes', 'ttl', 'totalBytes', 'endedTtl']);
    expect(Object.keys(MODULE_SCHEMA.limits.group!)).toEqual(['maxClients', 'maxQueuedBytes', 'slowClientTimeout', 'firstValueTimeout']);
    expect(Object.keys(MODULE_SCHEMA.identities.group!)).toEqual(['identify', 'expiresAt', 'maxClientsPerIdentity', 'presenceLeaveDelay']);
    expect(Object.keys(MODULE_SCHEMA.events.group!)).toEqual(['reset', 'end', 'accessEnd', 'shutdown']);
    expect(Object.keys(CHANNEL_SCHEMA)).toEqual(['size', 'bytes']);
  });

  it('fills in every default, in groups', () => {
    expect(resolveModuleOptions({})).toEqual({
      global: undefined,
      heartbeat: 15_000,
      retry: undefined,
      transform: undefined,
      history: { size: 1000, bytes: 4 * 1024 * 1024, ttl: 600_000, totalBytes: 64 * 1024 * 1024, endedTtl: 86_400_000 },
      limits: { maxClients: 0, maxQueuedBytes: 1024 * 1024, slowClientTimeout: 1000, firstValueTimeout: 1000 },
      identities: { identify: undefined, expiresAt: undefined, maxClientsPerIdentity: 0, presenceLeaveDelay: 3000 },
      events: { reset: 'sse-reset', end: 'sse-end', accessEnd: 'sse-close', shutdown: undefined },
      channels: {},
      transport: undefined,
      metrics: undefined,
      mcp: { prefix: 'mcp' },
    });
  });

  it('mcp.prefix: a channel name of static segments', () => {
    expect(resolveModuleOptions({ mcp: { prefix: 'ai/mcp' } }).mcp.prefix).toBe('ai/mcp');
    for (const prefix of ['', 'mcp/', 'mcp/:id', 'a//b', 'm\ncp', 42]) {
      expect(() => resolveModuleOptions({ mcp: { prefix } } as never)).toThrow(/Invalid SseModule options\.mcp\.prefix .*it must be a channel name of static segments/);
    }
  });

  it('keeps what is given, in its group; a blank event name is the default', () => {
    const resolved = resolveModuleOptions({
      transform: transformFn,
      history: { size: 5, ttl: 0 },
      limits: { firstValueTimeout: 0 },
      identities: { identify: identifyFn },
      events: { accessEnd: 'bye', reset: '' },
    });
    expect(resolved.transform).toBe(transformFn);
    expect(resolved.history).toMatchObject({ size: 5, ttl: 0, bytes: 4 * 1024 * 1024 });
    expect(resolved.limits.firstValueTimeout).toBe(0);
    expect(resolved.identities.identify).toBe(identifyFn);
    expect(resolved.events).toMatchObject({ accessEnd: 'bye', reset: 'sse-reset' });
  });

  // Derived from the schema: every number option of every group refuses -1, naming its place.
  const numbers = Object.entries(MODULE_SCHEMA).flatMap(([group, field]) =>
    Object.keys(field.group ?? {})
      .filter((key) => typeof (resolveModuleOptions({}) as unknown as Record<string, Record<string, unknown>>)[group][key] === 'number')
      .map((key) => [group, key] as const),
  );
  it.each(numbers)('%s.%s refuses -1 and "10" (a string), naming the field', (group, key) => {
    expect(() => resolveModuleOptions({ [group]: { [key]: -1 } })).toThrow(`Invalid SseModule options.${group}.${key} -1: it must be a non-negative integer`);
    expect(() => resolveModuleOptions({ [group]: { [key]: '10' } })).toThrow(/It is a string: values from process\.env/);
  });

  it.each([
    [{ heartbeat: 1.5 }, 'Invalid SseModule options.heartbeat 1.5: it must be a non-negative integer (milliseconds; 0 turns heartbeats off).'],
    [{ retry: -5 }, 'SseModule options: Invalid SSE retry -5: it must be a non-negative integer number of milliseconds'],
    [{ transform: 'instanceToPlain' }, `Invalid SseModule options.transform "instanceToPlain": pass a function (data) => data, e.g. class-transformer's instanceToPlain.`],
    [{ identities: { identify: 'sub' } }, 'Invalid SseModule options.identities.identify "sub": pass a function (request) => the identity (a string) or undefined.'],
    [{ events: { end: 'a\nb' } }, 'SseModule options: Invalid SSE events.end "a\\nb": it must not contain CR or LF'],
    [{ limits: 5 }, 'SseModule options.limits must be an object, got 5.'],
    [{ global: 'yes' }, 'Invalid SseModule options.global "yes": it must be true or false.'],
    [{ transport: {} }, 'Invalid SseModule options.transport {}: it is not a transport (missing init, publish'],
    [{ metrics: 'on' }, 'Invalid SseModule options.metrics "on": pass true, false, or { meterProvider }'],
    [{ channels: { 'rooms/:id': 5 } }, 'SseModule options.channels["rooms/:id"] must be an object, got 5.'],
    [{ channels: { 'rooms/:id': { sise: 5 } } }, 'Unknown option "sise" in SseModule options.channels["rooms/:id"]. Did you mean "size"? Known options: size, bytes, history, historyBytes.'],
    [{ channels: 'rooms' }, `Invalid SseModule options.channels "rooms": pass an object like { 'rooms/:id': { size: 100 } }.`],
  ])('%j → %s', (options, message) => {
    expect(() => resolveModuleOptions(options as SseModuleOptions)).toThrow(message);
  });

  it('an unknown key names the nearest known one, deprecated names included, or none when nothing is near', () => {
    expect(() => resolveModuleOptions({ hearbeat: 5 } as never)).toThrow(/^Unknown option "hearbeat" in SseModule options\. Did you mean "heartbeat"\? Known options: global, heartbeat,/);
    expect(() => resolveModuleOptions({ histroyBytes: 5 } as never)).toThrow('Did you mean "historyBytes"?');
    expect(() => resolveModuleOptions({ limits: { maxClient: 5 } } as never)).toThrow(
      'Unknown option "maxClient" in SseModule options.limits. Did you mean "maxClients"? Known options: maxClients, maxQueuedBytes, slowClientTimeout, firstValueTimeout.',
    );
    expect(() => resolveModuleOptions({ banana: 1 } as never)).toThrow('Unknown option "banana" in SseModule options. Known options:');
    expect(closest('evnt', ['event', 'id', 'to'])).toBe('event');
    expect(closest('zzzzzz', ['event', 'id'])).toBeUndefined();
  });
});

describe('deprecated module option names', () => {
  const deprecated: [string, unknown, string[]][] = [
    ['history', 100, ['history', 'size']],
    ['historyBytes', 2048, ['history', 'bytes']],
    ['historyTtl', 50, ['history', 'ttl']],
    ['totalHistoryBytes', 4096, ['history', 'totalBytes']],
    ['endedTtl', 60, ['history', 'endedTtl']],
    ['maxClients', 7, ['limits', 'maxClients']],
    ['maxQueuedBytes', 512, ['limits', 'maxQueuedBytes']],
    ['slowClientTimeout', 300, ['limits', 'slowClientTimeout']],
    ['maxHeaderDelay', 0, ['limits', 'firstValueTimeout']],
    ['serialize', transformFn, ['transform']],
    ['identify', identifyFn, ['identities', 'identify']],
    ['expiresAt', identifyFn, ['identities', 'expiresAt']],
    ['maxClientsPerIdentity', 2, ['identities', 'maxClientsPerIdentity']],
    ['presenceLeaveDelay', 10, ['identities', 'presenceLeaveDelay']],
    ['resetEvent', 'reset!', ['events', 'reset']],
    ['endEvent', 'end!', ['events', 'end']],
    ['closeEvent', 'cut!', ['events', 'accessEnd']],
    ['shutdownEvent', 'bye!', ['events', 'shutdown']],
  ];

  it('are exactly the former flat names, each with its new place (from the schema)', () => {
    expect(aliasesOf(MODULE_SCHEMA).map(({ was, path }) => [was, path])).toEqual(expect.arrayContaining(deprecated.map(([was, , path]) => [was, path])));
    expect(aliasesOf(MODULE_SCHEMA)).toHaveLength(deprecated.length);
    expect(knownKeys(MODULE_SCHEMA)).toEqual(expect.arrayContaining(deprecated.map(([was]) => was)));
  });

  it.each(deprecated)('%s still works: the value lands in its new place, with one warning that names it', (was, value, path) => {
    const warn = warnings();
    const resolved = resolveModuleOptions({ [was]: value } as SseModuleOptions);
    expect(pick(resolved, path)).toBe(value);
    const place = path.length === 1 ? `${path[0]}: …` : `${path[0]}: { ${path[1]}: … }`;
    expect(warn.mock.calls).toEqual([[`SseModule option "${was}" is deprecated: use ${place}.`]]);
  });

  it('warns once per key per process — not per app, not per call — and keeps the other settings of the group', () => {
    const warn = warnings();
    const first = resolveModuleOptions({ historyBytes: 10, history: { size: 3 } } as SseModuleOptions);
    resolveModuleOptions({ historyBytes: 20 });
    SseModule.forRoot({ historyBytes: 30, maxClients: 1 });
    expect(first.history).toMatchObject({ size: 3, bytes: 10 });
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      'SseModule option "historyBytes" is deprecated: use history: { bytes: … }.',
      'SseModule option "maxClients" is deprecated: use limits: { maxClients: … }.',
    ]);
  });

  it('tells history: 100 (the old size) from history: { … } (the group) by type', () => {
    const warn = warnings();
    expect(resolveModuleOptions({ history: 0, historyTtl: 5 }).history).toMatchObject({ size: 0, ttl: 5 });
    expect(resolveModuleOptions({ history: { size: 0 } }).history.size).toBe(0);
    expect(warn).toHaveBeenCalledTimes(2); // history and historyTtl, once each
    expect(() => resolveModuleOptions({ history: 'lots' as never })).toThrow('Invalid SseModule options.history "lots": it must be a non-negative integer');
  });

  it('checks a deprecated name under the name given', () => {
    warnings();
    expect(() => resolveModuleOptions({ historyBytes: -1 })).toThrow('Invalid SseModule options.historyBytes -1');
    expect(() => resolveModuleOptions({ closeEvent: 'a\rb' })).toThrow('SseModule options: Invalid SSE closeEvent "a\\rb"');
  });

  it.each([
    [{ historyBytes: 1, history: { bytes: 2 } }, 'SseModule options: "historyBytes" and "history.bytes" are the same option ("historyBytes" is its deprecated name). Keep only history: { bytes: … }.'],
    [{ serialize: transformFn, transform: transformFn }, 'SseModule options: "serialize" and "transform" are the same option ("serialize" is its deprecated name). Keep only transform: ….'],
    [{ closeEvent: 'x', events: { accessEnd: 'y' } }, '"closeEvent" and "events.accessEnd" are the same option'],
    [{ maxHeaderDelay: 0, limits: { firstValueTimeout: 5 } }, '"maxHeaderDelay" and "limits.firstValueTimeout" are the same option'],
  ])('giving the old and the new place of one option is an error naming both: %j', (options, message) => {
    warnings();
    expect(() => resolveModuleOptions(options as SseModuleOptions)).toThrow(message);
  });
});

describe('channels entries', () => {
  it('take { size, bytes }, leaving out what they do not set; names follow the channel template rule', () => {
    const { channels } = resolveModuleOptions({ channels: { 'rooms/:id': { size: 10 }, news: { bytes: 100, size: 0 } } });
    expect(channels).toEqual({ 'rooms/:id': { size: 10 }, news: { size: 0, bytes: 100 } });
    expect(() => resolveModuleOptions({ channels: { 'user-:id': { size: 1 } } })).toThrow(/^SseModule options\.channels: /);
  });

  it('still take { history, historyBytes }, with one warning per key', () => {
    const warn = warnings();
    const { channels } = resolveModuleOptions({ channels: { a: { history: 3, historyBytes: 30 }, b: { history: 4 } } });
    expect(channels).toEqual({ a: { size: 3, bytes: 30 }, b: { size: 4 } });
    expect(warn.mock.calls).toEqual([
      ['SseModule option "channels[…].history" is deprecated: use channels[…]: { size: … }.'],
      ['SseModule option "channels[…].historyBytes" is deprecated: use channels[…]: { bytes: … }.'],
    ]);
    expect(() => resolveModuleOptions({ channels: { a: { history: 3, size: 4 } } })).toThrow(
      'SseModule options.channels["a"]: "history" and "size" are the same option',
    );
  });
});

describe('route options', () => {
  it('have their keys and defaults from the schema', () => {
    expect(Object.keys(ROUTE_SCHEMA)).toEqual([
      'channel',
      'method',
      'event',
      'retry',
      'heartbeat',
      'maxQueuedBytes',
      'firstValueTimeout',
      'transform',
      'from',
      'identify',
      'expiresAt',
      'maxClientsPerIdentity',
      'presence',
      'maxChannels',
      'schema',
    ]);
    expect(resolveRouteOptions('@SseChannel() on A.b', {})).toMatchObject({ method: RequestMethod.GET, event: '', presence: false, transform: undefined });
  });

  it('serialize and maxHeaderDelay still work, renamed transform and firstValueTimeout, one warning each', () => {
    const warn = warnings();
    const resolved = resolveRouteOptions('@SseChannel() on A.b', { serialize: transformFn, maxHeaderDelay: 0 });
    resolveRouteOptions('@SseChannel() on C.d', { serialize: transformFn });
    expect(resolved).toMatchObject({ transform: transformFn, firstValueTimeout: 0 });
    expect(resolved).not.toHaveProperty('serialize');
    expect(warn.mock.calls).toEqual([
      ['@SseChannel() option "maxHeaderDelay" is deprecated: use firstValueTimeout: ….'],
      ['@SseChannel() option "serialize" is deprecated: use transform: ….'],
    ]);
    expect(() => resolveRouteOptions('@SseChannel() on A.b', { serialize: transformFn, transform: transformFn })).toThrow(
      '@SseChannel() on A.b options: "serialize" and "transform" are the same option',
    );
  });

  it.each([
    [{ evnt: 'x' }, 'Unknown option "evnt" in @SseChannel() on A.b options. Did you mean "event"?'],
    [{ from: 'begin' }, `Invalid @SseChannel() on A.b options.from "begin": use 'start' (the channel's history first) or 'live'.`],
    [{ presence: 1 }, 'Invalid @SseChannel() on A.b options.presence 1: it must be true or false.'],
    [{ method: 'POST' }, 'Invalid @SseChannel() on A.b options.method "POST": pass a RequestMethod, e.g. RequestMethod.POST.'],
    [{ firstValueTimeout: -1 }, 'Invalid @SseChannel() on A.b options.firstValueTimeout -1'],
    [{ schema: () => 1 }, 'Invalid @SseChannel() on A.b options.schema [function schema]: pass the class of the event data'],
  ])('%j → %s', (options, message) => {
    expect(() => resolveRouteOptions('@SseChannel() on A.b', options as never)).toThrow(message);
  });
});

describe('publish() and connect() options', () => {
  it('have their keys from the schema and throw SseEncodingError with a suggestion', () => {
    expect(Object.keys(PUBLISH_SCHEMA)).toEqual(['event', 'id', 'to', 'except']);
    expect(Object.keys(CONNECT_SCHEMA)).toEqual(['end', 'cancelWhenIdle']);
    expect(() => resolvePublishOptions({ evnt: 'x' } as never)).toThrow(SseEncodingError);
    expect(() => resolvePublishOptions({ evnt: 'x' } as never)).toThrow('Unknown option "evnt" in publish options. Did you mean "event"? Known options: event, id, to, except.');
    expect(() => resolveConnectOptions({ ends: true } as never)).toThrow('Unknown option "ends" in connect options. Did you mean "end"? Known options: end, cancelWhenIdle.');
  });

  it('check each option and give the defaults', () => {
    expect(resolvePublishOptions(undefined)).toBeUndefined();
    expect(resolvePublishOptions({ event: '', to: 'ann' })).toEqual({ event: undefined, id: undefined, to: 'ann', except: undefined });
    expect(() => resolvePublishOptions({ id: '' })).toThrow('Invalid SSE id "": a published event needs a non-empty id');
    expect(() => resolvePublishOptions({ to: [''] })).toThrow('Invalid publish options.to [""]: pass an identity (a non-empty string) or an array of them.');
    expect(() => resolvePublishOptions(5 as never)).toThrow('publish options must be an object, got 5.');
    expect(resolveConnectOptions()).toEqual({ end: false, cancelWhenIdle: undefined });
    expect(() => resolveConnectOptions({ end: 'yes' } as never)).toThrow('Invalid connect options.end "yes": it must be true or false.');
    expect(() => resolveConnectOptions({ cancelWhenIdle: 0 })).toThrow('Invalid connect options.cancelWhenIdle 0: it must be a positive integer number of milliseconds.');
  });
});

describe('RedisTransport options', () => {
  it('have their keys and defaults from the schema', () => {
    expect(Object.keys(REDIS_TRANSPORT_SCHEMA)).toEqual(['client', 'connection', 'cluster', 'keyPrefix', 'presenceLease']);
    expect(resolveRedisTransportOptions({ connection: 'redis://x' })).toEqual({ client: undefined, connection: 'redis://x', cluster: undefined, keyPrefix: 'sse:', presenceLease: 15_000 });
  });

  it.each([
    [{ connection: 'redis://x', keyPrefx: 'a' }, 'Unknown option "keyPrefx" in RedisTransport options. Did you mean "keyPrefix"?'],
    [{ connection: 'redis://x', presenceLease: 100 }, 'Invalid RedisTransport options.presenceLease 100: it must be an integer number of milliseconds, 300 or more.'],
    [{ connection: 'redis://x', keyPrefix: 5 }, `Invalid RedisTransport options.keyPrefix 5: it must be a string, like 'sse:'.`],
    [{}, 'RedisTransport options: give one of "client" (an ioredis Redis or Cluster), "connection" (a redis:// URL or ioredis options) and "cluster" ({ nodes, options }).'],
    [{ connection: 'redis://x', cluster: { nodes: [{ host: '127.0.0.1', port: 7000 }] } }, ', not several.'],
    [{ cluster: { nodes: [] } }, 'Invalid RedisTransport options.cluster'],
    [{ cluster: { nodes: ['redis://127.0.0.1:7000'], options: 3 } }, 'Invalid RedisTransport options.cluster.options 3'],
    [{ client: {} }, 'Invalid RedisTransport options.client {}: pass an ioredis client (new Redis(...)).'],
  ])('%j → %s', (options, message) => {
    expect(() => resolveRedisTransportOptions(options as never)).toThrow(message);
  });
});

describe('an unknown key in any options object: the nearest known key ("did you mean"), then the list', () => {
  const noop = () => undefined;
  it.each<[string, () => unknown, string]>([
    ['SseModule.forRoot()', () => resolveModuleOptions({ hearbeat: 1 } as never), 'Unknown option "hearbeat" in SseModule options. Did you mean "heartbeat"? Known options: global, heartbeat, retry, transform, history, limits, identities, events, channels, transport, metrics, mcp, serialize,'],
    ['history', () => resolveModuleOptions({ history: { sise: 1 } } as never), 'Unknown option "sise" in SseModule options.history. Did you mean "size"? Known options: size, bytes, ttl, totalBytes, endedTtl.'],
    ['limits', () => resolveModuleOptions({ limits: { maxClient: 1 } } as never), 'Unknown option "maxClient" in SseModule options.limits. Did you mean "maxClients"? Known options: maxClients, maxQueuedBytes, slowClientTimeout, firstValueTimeout.'],
    ['identities', () => resolveModuleOptions({ identities: { identfy: noop } } as never), 'Unknown option "identfy" in SseModule options.identities. Did you mean "identify"? Known options: identify, expiresAt, maxClientsPerIdentity, presenceLeaveDelay.'],
    ['events', () => resolveModuleOptions({ events: { rest: 'x' } } as never), 'Unknown option "rest" in SseModule options.events. Did you mean "reset"? Known options: reset, end, accessEnd, shutdown.'],
    ['a channels entry', () => resolveModuleOptions({ channels: { news: { byte: 1 } } } as never), 'Unknown option "byte" in SseModule options.channels["news"]. Did you mean "bytes"? Known options: size, bytes, history, historyBytes.'],
    ['metrics', () => resolveModuleOptions({ metrics: { meterProvder: {} } } as never), 'Unknown option "meterProvder" in SseModule options.metrics. Did you mean "meterProvider"? Known options: meterProvider.'],
    ['SseModule.forRootAsync()', () => SseModule.forRootAsync({ useFactory: () => ({}), injects: [] } as never), 'Unknown option "injects" in SseModule.forRootAsync() options. Did you mean "inject"? Known options: global, imports, inject, useFactory, useClass, useExisting.'],
    ['@SseChannel()', () => resolveRouteOptions('@SseChannel() on A.b', { evnt: 'x' } as never), 'Unknown option "evnt" in @SseChannel() on A.b options. Did you mean "event"? Known options: channel, method, event, retry, heartbeat,'],
    ['publish()', () => resolvePublishOptions({ expect: 'ann' } as never), 'Unknown option "expect" in publish options. Did you mean "except"? Known options: event, id, to, except.'],
    ['connect()', () => resolveConnectOptions({ cancelWhenIdel: 5 } as never), 'Unknown option "cancelWhenIdel" in connect options. Did you mean "cancelWhenIdle"? Known options: end, cancelWhenIdle.'],
    ['RedisTransport', () => new RedisTransport({ conection: 'redis://x' } as never), 'Unknown option "conection" in RedisTransport options. Did you mean "connection"? Known options: client, connection, cluster, keyPrefix, presenceLease.'],
  ])('%s', (_name, resolve, message) => {
    expect(resolve).toThrow(message);
  });

  it('forRootAsync() still takes its own keys, and says what it needs when it is not an object', () => {
    expect(() => SseModule.forRootAsync({ global: false, imports: [], inject: [], useFactory: () => ({}) })).not.toThrow();
    expect(() => SseModule.forRootAsync(undefined as never)).toThrow('SseModule.forRootAsync() options must be an object, got undefined.');
  });
});
