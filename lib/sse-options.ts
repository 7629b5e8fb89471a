/**
 * Start-up checks of static options: module options and `@SseChannel()`
 * options. Mistakes throw at once with a sentence that names the option.
 */
import { assertKnownKeys } from './util/assert-known-keys.js';
import { parseChannelTemplate } from './model/channel-template.js';
import { assertEventName, assertRetry } from './wire/encoder.js';
import type { SseRouteOptions } from './interfaces/sse-route-options.interface.js';
import type { ResolvedSseModuleOptions, SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import * as messages from './sse.messages.js';
import {
  DEFAULT_HEARTBEAT,
  DEFAULT_HISTORY,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_TTL,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_RESET_EVENT,
  DEFAULT_SLOW_CLIENT_TIMEOUT,
  DEFAULT_TOTAL_HISTORY_BYTES,
  DEFAULT_MAX_HEADER_DELAY,
  DEFAULT_END_EVENT,
  DEFAULT_CLOSE_EVENT,
  DEFAULT_PRESENCE_LEAVE_DELAY,
  DEFAULT_ENDED_TTL,
} from './sse.constants.js';

const MODULE_OPTION_KEYS = [
  'global',
  'heartbeat',
  'retry',
  'history',
  'historyBytes',
  'totalHistoryBytes',
  'maxQueuedBytes',
  'slowClientTimeout',
  'maxClients',
  'maxHeaderDelay',
  'serialize',
  'resetEvent',
  'endEvent',
  'closeEvent',
  'identify',
  'expiresAt',
  'maxClientsPerIdentity',
  'presenceLeaveDelay',
  'endedTtl',
  'channels',
  'historyTtl',
  'shutdownEvent',
  'transport',
  'metrics',
] as const;
const TRANSPORT_METHODS = ['init', 'publish', 'subscribe', 'unsubscribe', 'read', 'parseId', 'compareIds', 'close'] as const;
const CHANNEL_SETTING_KEYS = ['history', 'historyBytes'] as const;
const ROUTE_OPTION_KEYS = [
  'channel',
  'method',
  'event',
  'retry',
  'heartbeat',
  'maxQueuedBytes',
  'maxHeaderDelay',
  'serialize',
  'from',
  'identify',
  'expiresAt',
  'maxClientsPerIdentity',
  'presence',
  'schema',
] as const;

const FUNCTION_SHAPES: Record<string, string> = {
  serialize: "(data) => data, e.g. class-transformer's instanceToPlain",
  identify: '(request) => the identity (a string) or undefined',
  expiresAt: '(request) => a Date, ms since the epoch, or undefined',
};

function assertFunction(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    const shape = FUNCTION_SHAPES[field.split(/[. ]/).pop()!];
    throw new Error(messages.invalidOptionValue(field, value, `pass a function ${shape}.`));
  }
}

function assertCount(field: string, value: unknown, unit: string): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new Error(messages.invalidCount(field, value, unit));
  }
}

function rethrowAs(where: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** Checks `SseModule.forRoot()` options and fills in the defaults. */
export function resolveModuleOptions(options: SseModuleOptions = {}): ResolvedSseModuleOptions {
  const where = 'SseModule options';
  if (options === null || typeof options !== 'object') {
    throw new Error(messages.mustBeAnObject(where, options));
  }
  assertKnownKeys(where, options, MODULE_OPTION_KEYS);
  assertCount(`${where}.heartbeat`, options.heartbeat, 'milliseconds; 0 turns heartbeats off');
  assertCount(`${where}.history`, options.history, 'events kept per channel; 0 turns history off');
  assertCount(`${where}.historyBytes`, options.historyBytes, 'bytes');
  assertCount(`${where}.historyTtl`, options.historyTtl, 'milliseconds; 0 keeps idle channels for good');
  assertCount(`${where}.maxQueuedBytes`, options.maxQueuedBytes, 'bytes; 0 turns the bound off');
  assertCount(`${where}.slowClientTimeout`, options.slowClientTimeout, 'milliseconds a backlog may stay above maxQueuedBytes');
  assertCount(`${where}.totalHistoryBytes`, options.totalHistoryBytes, 'bytes of history of all channels together; 0 for no global bound');
  assertCount(`${where}.maxClients`, options.maxClients, 'open streams of this instance; 0 for no cap');
  assertCount(`${where}.maxHeaderDelay`, options.maxHeaderDelay, 'milliseconds; 0 sends the headers at once');
  if (options.retry !== undefined) {
    rethrowAs(where, () => assertRetry(options.retry, 'retry'));
  }
  assertFunction(`${where}.serialize`, options.serialize);
  if (options.resetEvent !== undefined) {
    rethrowAs(where, () => assertEventName(options.resetEvent, 'resetEvent'));
  }
  if (options.endEvent !== undefined) {
    rethrowAs(where, () => assertEventName(options.endEvent, 'endEvent'));
  }
  assertCount(`${where}.endedTtl`, options.endedTtl, 'milliseconds an ended channel is remembered');
  if (options.closeEvent !== undefined) {
    rethrowAs(where, () => assertEventName(options.closeEvent, 'closeEvent'));
  }
  assertFunction(`${where}.identify`, options.identify);
  assertFunction(`${where}.expiresAt`, options.expiresAt);
  assertCount(`${where}.maxClientsPerIdentity`, options.maxClientsPerIdentity, 'streams of one identity on this instance; 0 for no cap');
  assertCount(`${where}.presenceLeaveDelay`, options.presenceLeaveDelay, 'milliseconds a leave waits for the identity to come back');
  if (options.shutdownEvent !== undefined) {
    rethrowAs(where, () => assertEventName(options.shutdownEvent, 'shutdownEvent'));
  }
  if (options.transport !== undefined) {
    assertTransport(`${where}.transport`, options.transport);
  }
  assertMetricsOption(options.metrics);
  const channels = options.channels ?? {};
  if (channels === null || typeof channels !== 'object') {
    throw new Error(messages.invalidOptionValue(`${where}.channels`, channels, "pass an object like { 'rooms/:id': { history: 100 } }."));
  }
  for (const [name, settings] of Object.entries(channels)) {
    const at = `${where}.channels[${messages.quote(name)}]`;
    // The same template rule as a route's channel: a name no route could produce is a mistake.
    parseChannelTemplate(name, `${where}.channels`);
    if (settings === null || typeof settings !== 'object') {
      throw new Error(messages.invalidOptionValue(at, settings, 'pass an object like { history: 100 }.'));
    }
    assertKnownKeys(at, settings, CHANNEL_SETTING_KEYS);
    assertCount(`${at}.history`, settings.history, 'events kept; 0 turns history off');
    assertCount(`${at}.historyBytes`, settings.historyBytes, 'bytes');
  }
  return {
    heartbeat: options.heartbeat ?? DEFAULT_HEARTBEAT,
    retry: options.retry,
    history: options.history ?? DEFAULT_HISTORY,
    historyBytes: options.historyBytes ?? DEFAULT_HISTORY_BYTES,
    historyTtl: options.historyTtl ?? DEFAULT_HISTORY_TTL,
    totalHistoryBytes: options.totalHistoryBytes ?? DEFAULT_TOTAL_HISTORY_BYTES,
    maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    slowClientTimeout: options.slowClientTimeout ?? DEFAULT_SLOW_CLIENT_TIMEOUT,
    maxClients: options.maxClients ?? 0,
    maxHeaderDelay: options.maxHeaderDelay ?? DEFAULT_MAX_HEADER_DELAY,
    serialize: options.serialize,
    resetEvent: options.resetEvent || DEFAULT_RESET_EVENT,
    endEvent: options.endEvent || DEFAULT_END_EVENT,
    endedTtl: options.endedTtl ?? DEFAULT_ENDED_TTL,
    closeEvent: options.closeEvent || DEFAULT_CLOSE_EVENT,
    identify: options.identify,
    expiresAt: options.expiresAt,
    maxClientsPerIdentity: options.maxClientsPerIdentity ?? 0,
    presenceLeaveDelay: options.presenceLeaveDelay ?? DEFAULT_PRESENCE_LEAVE_DELAY,
    shutdownEvent: options.shutdownEvent || undefined,
    channels,
    transport: options.transport,
    metrics: options.metrics,
  };
}

/** `metrics`: a boolean, or `{ meterProvider }` with something that has `getMeter()`. */
function assertMetricsOption(metrics: unknown): void {
  if (metrics === undefined || typeof metrics === 'boolean') {
    return;
  }
  const provider = (metrics as { meterProvider?: { getMeter?: unknown } } | null)?.meterProvider;
  if (metrics === null || typeof metrics !== 'object' || (provider !== undefined && typeof provider?.getMeter !== 'function')) {
    throw new Error(messages.invalidMetricsOption(metrics));
  }
  assertKnownKeys('SseModule options.metrics', metrics, ['meterProvider']);
}

function assertTransport(field: string, transport: unknown): void {
  const candidate = transport as Record<string, unknown> | null;
  const missing =
    candidate === null || typeof candidate !== 'object'
      ? ['an object']
      : TRANSPORT_METHODS.filter((method) => typeof candidate[method] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `Invalid ${field} ${messages.quote(transport)}: it is not a transport (missing ${missing.join(', ')}). Pass new RedisTransport({ connection: 'redis://…' }), or leave it out to keep channels in this process.`,
    );
  }
}

/** Checks the options of one `@SseChannel()` route. */
export function assertRouteOptions(where: string, options: SseRouteOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new Error(messages.mustBeAnObject(`${where}: options`, options));
  }
  assertKnownKeys(where, options, ROUTE_OPTION_KEYS);
  if (options.channel !== undefined && typeof options.channel !== 'string') {
    throw new Error(`${where} option channel: ${messages.invalidChannelName(options.channel)}`);
  }
  if (options.event !== undefined) {
    rethrowAs(where, () => assertEventName(options.event, 'event'));
  }
  if (options.retry !== undefined) {
    rethrowAs(where, () => assertRetry(options.retry, 'retry'));
  }
  assertCount(`${where} option heartbeat`, options.heartbeat, 'milliseconds; 0 turns heartbeats off');
  assertCount(`${where} option maxQueuedBytes`, options.maxQueuedBytes, 'bytes; 0 turns the bound off');
  assertCount(`${where} option maxHeaderDelay`, options.maxHeaderDelay, 'milliseconds; 0 sends the headers at once');
  assertFunction(`${where} option serialize`, options.serialize);
  assertFunction(`${where} option identify`, options.identify);
  assertFunction(`${where} option expiresAt`, options.expiresAt);
  assertCount(`${where} option maxClientsPerIdentity`, options.maxClientsPerIdentity, "streams of one identity on this route; 0 for no cap");
  if (options.presence !== undefined && typeof options.presence !== 'boolean') {
    throw new Error(messages.invalidOptionValue(`${where} option presence`, options.presence, 'it must be true or false.'));
  }
  if (options.from !== undefined && options.from !== 'start' && options.from !== 'live') {
    throw new Error(messages.invalidOptionValue(`${where} option from`, options.from, "use 'start' (the channel's history first) or 'live'."));
  }
  assertEventSchema(`${where} option schema`, options.schema);
}

/** A class (a function with a prototype: not an arrow function like `() => Dto`) or a plain object. */
function assertEventSchema(field: string, schema: unknown): void {
  if (schema === undefined) {
    return;
  }
  const isClass = typeof schema === 'function' && typeof schema.prototype === 'object' && schema.name !== '';
  const prototype = schema !== null && typeof schema === 'object' ? Object.getPrototypeOf(schema) : undefined;
  if (!isClass && prototype !== Object.prototype && prototype !== null) {
    throw new Error(
      messages.invalidOptionValue(
        field,
        schema,
        "pass the class of the event data (a named class, with @ApiProperty() on its properties), e.g. schema: ChatMessage, or a JSON schema object, e.g. schema: { type: 'object', properties: { text: { type: 'string' } } }.",
      ),
    );
  }
}
