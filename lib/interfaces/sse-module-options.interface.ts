import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { SseTransport } from './sse-transport.interface.js';
import type { SseMetricsOptions } from './sse-metrics-options.interface.js';
import type { SseChannelSettings, SseEventNames, SseHistoryOptions, SseIdentityOptions, SseLimitsOptions, SseMcpOptions } from './sse-option-groups.interface.js';

/**
 * Options of `SseModule.forRoot()`.
 *
 * @publicApi
 */
export interface SseModuleOptions extends SseDeprecatedModuleOptions {
  /**
   * Register the module globally, so `SseBroadcaster` and `@SseChannel()`
   * routes work in every module without importing it again.
   * @default true
   */
  global?: boolean;
  /**
   * Milliseconds between heartbeats (a comment written between frames so that
   * proxies keep idle streams open); 0 turns them off. Routes may override it.
   * @default 15000
   */
  heartbeat?: number;
  /**
   * Reconnection time in ms sent to each client once when its stream opens;
   * unset sends none (clients then use their own default, ~3 s in browsers).
   * Routes may override it.
   * @default undefined
   */
  retry?: number;
  /**
   * Applied to event data before it is serialized to JSON — every
   * `publish()`, and every value of a per-client Observable (routes may
   * override it). Nest's interceptors do not see the values of an
   * `@SseChannel()` stream, so `ClassSerializerInterceptor` cannot hide
   * `@Exclude()` fields there: pass class-transformer's `instanceToPlain`
   * here instead. (Was `serialize`: it transforms the value; the library
   * still serializes what it returns.)
   * @default undefined (data as it is)
   */
  transform?: (data: unknown) => unknown;
  /**
   * What each channel keeps for clients that come back, and for how long:
   * `{ size, bytes, ttl, totalBytes, endedTtl }` (see {@link SseHistoryOptions}).
   * A number here is the deprecated form of `{ size }`.
   * @default { size: 1000, bytes: 4 MiB, ttl: 10 minutes, totalBytes: 64 MiB, endedTtl: 24 hours }
   */
  history?: SseHistoryOptions | number;
  /**
   * Caps: `{ maxClients, maxQueuedBytes, slowClientTimeout, firstValueTimeout }`
   * (see {@link SseLimitsOptions}).
   * @default { maxClients: 0 (none), maxQueuedBytes: 1 MiB, slowClientTimeout: 1000, firstValueTimeout: 1000 }
   */
  limits?: SseLimitsOptions;
  /**
   * Who a stream belongs to and what follows from it:
   * `{ identify, expiresAt, maxClientsPerIdentity, presenceLeaveDelay }`
   * (see {@link SseIdentityOptions}).
   * @default { maxClientsPerIdentity: 0 (none), presenceLeaveDelay: 3000 } (every stream anonymous)
   */
  identities?: SseIdentityOptions;
  /**
   * Names of the events the library sends: `{ reset, end, accessEnd, shutdown }`
   * (see {@link SseEventNames}).
   * @default { reset: 'sse-reset', end: 'sse-end', accessEnd: 'sse-close' } (no shutdown event)
   */
  events?: SseEventNames;
  /**
   * Per-channel overrides of `history.size` and `history.bytes`, by channel
   * name or pattern with `:param` segments: `{ 'rooms/:id': { size: 50 } }`
   * (`'rooms/:id'` matches `rooms/42`). An exact name wins over a pattern; the
   * first matching pattern wins.
   * @default {}
   */
  channels?: Record<string, SseChannelSettings>;
  /**
   * How publishes reach the channels. Leave it out for the in-memory transport
   * (one instance); pass `new RedisTransport({ connection: 'redis://…' })` to
   * share channels, ids and history among every instance of the application.
   * A transport serves one application: when one process creates several
   * (tests), create it in `forRootAsync()`'s `useFactory`.
   * @default the in-memory transport
   */
  transport?: SseTransport;
  /**
   * OpenTelemetry metrics: open streams, streams opened, closed and refused,
   * events published, delivered and replayed, resets, bytes written, transport
   * errors and the publish-to-write delay — by route and channel template,
   * never by a channel name built from params. Recorded through
   * `@opentelemetry/api` (an optional peer dependency) to the MeterProvider an
   * OpenTelemetry SDK registered before the application was created; left
   * out, nothing is recorded (at no cost) when the API is not installed or no
   * SDK is set up. `true` insists (start-up fails without the API, warns
   * without an SDK), `false` turns them off, `{ meterProvider }` records to
   * that provider (the API need not be installed then).
   * @default undefined (on when an SDK registered a MeterProvider)
   */
  metrics?: boolean | SseMetricsOptions;
  /**
   * Where `SseMcpEventStore` keeps MCP streams: `{ prefix }` (see {@link SseMcpOptions}).
   * @default { prefix: 'mcp' }
   */
  mcp?: SseMcpOptions;
}

/**
 * The options of SseModule 0.x before they were grouped: each still works,
 * with one warning at start-up that names its new place.
 */
export interface SseDeprecatedModuleOptions {
  /** @deprecated use `history: { bytes }`. */
  historyBytes?: number;
  /** @deprecated use `history: { ttl }`. */
  historyTtl?: number;
  /** @deprecated use `history: { totalBytes }`. */
  totalHistoryBytes?: number;
  /** @deprecated use `history: { endedTtl }`. */
  endedTtl?: number;
  /** @deprecated use `limits: { maxClients }`. */
  maxClients?: number;
  /** @deprecated use `limits: { maxQueuedBytes }`. */
  maxQueuedBytes?: number;
  /** @deprecated use `limits: { slowClientTimeout }`. */
  slowClientTimeout?: number;
  /** @deprecated use `limits: { firstValueTimeout }`. */
  maxHeaderDelay?: number;
  /** @deprecated use `transform`. */
  serialize?: (data: unknown) => unknown;
  /** @deprecated use `identities: { identify }`. */
  identify?: (request: any) => string | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** @deprecated use `identities: { expiresAt }`. */
  expiresAt?: (request: any) => Date | number | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** @deprecated use `identities: { maxClientsPerIdentity }`. */
  maxClientsPerIdentity?: number;
  /** @deprecated use `identities: { presenceLeaveDelay }`. */
  presenceLeaveDelay?: number;
  /** @deprecated use `events: { reset }`. */
  resetEvent?: string;
  /** @deprecated use `events: { end }`. */
  endEvent?: string;
  /** @deprecated use `events: { accessEnd }`. */
  closeEvent?: string;
  /** @deprecated use `events: { shutdown }`. */
  shutdownEvent?: string;
}

/**
 * A class that gives the module options, for `SseModule.forRootAsync({ useClass })`
 * or `({ useExisting })`.
 *
 * @publicApi
 */
export interface SseOptionsFactory {
  createSseOptions(): SseModuleOptionsWithoutGlobal | Promise<SseModuleOptionsWithoutGlobal>;
}

/** The module options a factory gives (`global` goes next to the factory). */
export type SseModuleOptionsWithoutGlobal = Omit<SseModuleOptions, 'global'>;

/**
 * Options of `SseModule.forRootAsync()`: exactly one of `useFactory`,
 * `useClass` and `useExisting`.
 *
 * @publicApi
 */
export interface SseModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** @default true */
  global?: boolean;
  /** Providers handed to `useFactory`, in order. */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => SseModuleOptionsWithoutGlobal | Promise<SseModuleOptionsWithoutGlobal>;
  /** A class the module creates (with its dependencies injected) to give the options. */
  useClass?: Type<SseOptionsFactory>;
  /** A provider, from an imported module, that gives the options. */
  useExisting?: Type<SseOptionsFactory>;
}
