/**
 * The schema of `SseModule.forRoot()` options: about ten top-level keys, the
 * rest in groups. Each entry is one option — its check, its default and,
 * for the options of 0.x, the flat name it had (still accepted, with one
 * warning that names its new place).
 */
import type { SseDeprecatedModuleOptions, SseModuleAsyncOptions, SseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import type { SseMetricsOptions } from '../interfaces/sse-metrics-options.interface.js';
import type {
  SseChannelSettings,
  SseEventNames,
  SseHistoryOptions,
  SseIdentityOptions,
  SseLimitsOptions,
  SseMcpOptions,
} from '../interfaces/sse-option-groups.interface.js';
import { isChannelName, parseChannelTemplate } from '../model/channel-template.js';
import {
  DEFAULT_CLOSE_EVENT,
  DEFAULT_END_EVENT,
  DEFAULT_ENDED_TTL,
  DEFAULT_HEARTBEAT,
  DEFAULT_HISTORY,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_TTL,
  DEFAULT_MAX_HEADER_DELAY,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MCP_PREFIX,
  DEFAULT_PRESENCE_LEAVE_DELAY,
  DEFAULT_RESET_EVENT,
  DEFAULT_SLOW_CLIENT_TIMEOUT,
  DEFAULT_TOTAL_HISTORY_BYTES,
} from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import type { SseTransport } from '../interfaces/sse-transport.interface.js';
import {
  boolean,
  count,
  custom,
  eventName,
  func,
  group,
  record,
  resolveOptions,
  retry,
  type OptionsAt,
  type Resolved,
  type SchemaOf,
} from './schema.js';

/** The shapes of the function options, for their errors. */
export const FUNCTION_SHAPES = {
  transform: "(data) => data, e.g. class-transformer's instanceToPlain",
  identify: '(request) => the identity (a string) or undefined',
  expiresAt: '(request) => a Date, ms since the epoch, or undefined',
};

type Identify = NonNullable<SseIdentityOptions['identify']>;
type ExpiresAt = NonNullable<SseIdentityOptions['expiresAt']>;

const HISTORY = {
  size: count('events kept per channel; 0 turns history off')({ default: DEFAULT_HISTORY, was: 'history' }),
  bytes: count('bytes')({ default: DEFAULT_HISTORY_BYTES, was: 'historyBytes' }),
  ttl: count('milliseconds a channel without clients keeps its history; 0 keeps it for good')({
    default: DEFAULT_HISTORY_TTL,
    was: 'historyTtl',
  }),
  totalBytes: count('bytes of history of all channels together; 0 for no global bound')({
    default: DEFAULT_TOTAL_HISTORY_BYTES,
    was: 'totalHistoryBytes',
  }),
  endedTtl: count('milliseconds an ended channel is remembered')({ default: DEFAULT_ENDED_TTL, was: 'endedTtl' }),
} satisfies SchemaOf<SseHistoryOptions>;

const LIMITS = {
  maxClients: count('open streams of this instance; 0 for no cap')({ default: 0, was: 'maxClients' }),
  maxQueuedBytes: count('bytes; 0 turns the bound off')({ default: DEFAULT_MAX_QUEUED_BYTES, was: 'maxQueuedBytes' }),
  slowClientTimeout: count('milliseconds a backlog may stay above maxQueuedBytes')({
    default: DEFAULT_SLOW_CLIENT_TIMEOUT,
    was: 'slowClientTimeout',
  }),
  firstValueTimeout: count("milliseconds a per-client route waits for its Observable's first value; 0 sends the headers at once")({
    default: DEFAULT_MAX_HEADER_DELAY,
    was: 'maxHeaderDelay',
  }),
} satisfies SchemaOf<SseLimitsOptions>;

const IDENTITIES = {
  identify: func<Identify>(FUNCTION_SHAPES.identify)({ was: 'identify' }),
  expiresAt: func<ExpiresAt>(FUNCTION_SHAPES.expiresAt)({ was: 'expiresAt' }),
  maxClientsPerIdentity: count('streams of one identity on this instance; 0 for no cap')({ default: 0, was: 'maxClientsPerIdentity' }),
  presenceLeaveDelay: count('milliseconds a leave waits for the identity to come back')({
    default: DEFAULT_PRESENCE_LEAVE_DELAY,
    was: 'presenceLeaveDelay',
  }),
} satisfies SchemaOf<SseIdentityOptions>;

const EVENTS = {
  reset: eventName()({ default: DEFAULT_RESET_EVENT, was: 'resetEvent' }),
  end: eventName()({ default: DEFAULT_END_EVENT, was: 'endEvent' }),
  accessEnd: eventName()({ default: DEFAULT_CLOSE_EVENT, was: 'closeEvent' }),
  shutdown: eventName()({ was: 'shutdownEvent' }),
} satisfies SchemaOf<SseEventNames>;

/** One entry of `channels`. */
const CHANNEL = {
  size: count('events kept; 0 turns history off')({ was: 'history' }),
  bytes: count('bytes')({ was: 'historyBytes' }),
} satisfies SchemaOf<Omit<SseChannelSettings, 'history' | 'historyBytes'>>;

const MCP = {
  prefix: custom<string>(assertChannelPrefix)({ default: DEFAULT_MCP_PREFIX }),
} satisfies SchemaOf<SseMcpOptions>;

const MODULE = {
  global: boolean()(),
  heartbeat: count('milliseconds; 0 turns heartbeats off')({ default: DEFAULT_HEARTBEAT }),
  retry: retry()(),
  transform: func<(data: unknown) => unknown>(FUNCTION_SHAPES.transform)({ was: 'serialize' }),
  history: group(HISTORY),
  limits: group(LIMITS),
  identities: group(IDENTITIES),
  events: group(EVENTS),
  // The same template rule as a route's channel: a name no route could produce is a mistake.
  channels: record(CHANNEL, "{ 'rooms/:id': { size: 100 } }", (name, field) => parseChannelTemplate(name, field)),
  transport: custom<SseTransport>(assertTransport)(),
  metrics: custom<boolean | SseMetricsOptions>(assertMetrics)(),
  mcp: group(MCP),
} satisfies SchemaOf<Omit<SseModuleOptions, keyof SseDeprecatedModuleOptions>>;

/** The tables, for tests and docs. */
export const MODULE_SCHEMA = MODULE;
export const CHANNEL_SCHEMA = CHANNEL;

/** The module options with every default filled in: the shape of their schema. */
export type ResolvedSseModuleOptions = Resolved<typeof MODULE>;

/** The template of the MCP store's channels, `<mcp.prefix>/:stream` (metrics count them under it). */
export function mcpStreamTemplate(options: ResolvedSseModuleOptions): string {
  return `${options.mcp.prefix}/:stream`;
}

/** Checks `SseModule.forRoot()` options and fills in the defaults. */
export function resolveModuleOptions(options: SseModuleOptions = {}): ResolvedSseModuleOptions {
  const where = 'SseModule options';
  return resolveOptions(MODULE, options, { where, root: where, label: 'SseModule option', prefix: '', error: (message) => new Error(message) });
}

/** A `forRootAsync()` key, checked where it is used (sse.module.ts). */
const given = <V>() => custom<V>(() => undefined)();
type Async = Required<SseModuleAsyncOptions>;

const ASYNC = {
  global: boolean()(),
  imports: given<Async['imports']>(),
  inject: given<Async['inject']>(),
  useFactory: given<Async['useFactory']>(),
  useClass: given<Async['useClass']>(),
  useExisting: given<Async['useExisting']>(),
} satisfies SchemaOf<SseModuleAsyncOptions>;

/** `forRootAsync()` takes no other key: a typo such as `injects` would leave the factory without its providers, silently. */
export function assertAsyncOptionKeys(options: SseModuleAsyncOptions): void {
  const where = 'SseModule.forRootAsync() options';
  resolveOptions(ASYNC, options, { where, root: where, label: 'SseModule.forRootAsync() option', prefix: '', error: (message) => new Error(message) });
}

const TRANSPORT_METHODS = ['init', 'publish', 'subscribe', 'unsubscribe', 'read', 'parseId', 'compareIds', 'close'] as const;

function assertTransport(transport: unknown, field: string, at: OptionsAt): void {
  const candidate = transport as Record<string, unknown> | null;
  const missing =
    candidate === null || typeof candidate !== 'object'
      ? ['an object']
      : TRANSPORT_METHODS.filter((method) => typeof candidate[method] !== 'function');
  if (missing.length > 0) {
    throw at.error(
      `Invalid ${field} ${messages.quote(transport)}: it is not a transport (missing ${missing.join(', ')}). Pass new RedisTransport({ connection: 'redis://…' }), or leave it out to keep channels in this process.`,
    );
  }
}

const METRICS = {
  meterProvider: custom<NonNullable<SseMetricsOptions['meterProvider']>>((provider, _field, at) => {
    if (typeof (provider as { getMeter?: unknown } | null)?.getMeter !== 'function') {
      throw at.error(messages.invalidMetricsOption({ meterProvider: provider }));
    }
  })(),
} satisfies SchemaOf<SseMetricsOptions>;

/** `metrics`: a boolean, or `{ meterProvider }` with something that has `getMeter()`. */
function assertMetrics(metrics: unknown, field: string, at: OptionsAt): void {
  if (typeof metrics === 'boolean') {
    return;
  }
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw at.error(messages.invalidMetricsOption(metrics));
  }
  resolveOptions(METRICS, metrics, { ...at, where: field });
}

/** `mcp.prefix`: a channel name of static segments (its channels are `<prefix>/<tag>`). */
function assertChannelPrefix(prefix: unknown, field: string, at: OptionsAt): void {
  if (!isChannelName(prefix) || prefix.includes(':') || prefix.endsWith('/')) {
    throw at.error(messages.invalidChannelPrefix(field, prefix));
  }
}
