import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { SseTransport } from '../transport/sse-transport.interface.js';
import type { SseMetricsOptions } from './sse-metrics-options.interface.js';

/**
 * Options of `SseModule.forRoot()`.
 *
 * @publicApi
 */
export interface SseModuleOptions {
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
   * Events each channel keeps for `Last-Event-ID` replay; 0 turns history off.
   * @default 1000
   */
  history?: number;
  /**
   * Upper bound of the size of a channel's history: the oldest events go
   * first once it is passed. Measured in UTF-16 code units of the frames' text
   * (bytes for ASCII text; up to 3 bytes each on the wire otherwise).
   * @default 4194304 (4 MiB)
   */
  historyBytes?: number;
  /**
   * How long, in ms, a channel without clients keeps its history for clients
   * that come back; then the channel is dropped (a client reconnecting later
   * gets the reset event). Bounds the memory of many short-lived channels
   * (`users/:id`, `rooms/:id`). 0 keeps idle channels for good.
   * @default 600000 (10 minutes)
   */
  historyTtl?: number;
  /**
   * Bound on the history of all channels together, in the measure of
   * `historyBytes`: once it is passed, the oldest events go first, from
   * channels without clients before channels with clients. Keeps memory
   * bounded when events go to many channels (`users/:id` while most users are
   * offline). 0: no global bound (each channel is still bounded by `history`,
   * `historyBytes` and `historyTtl`).
   * @default 67108864 (64 MiB)
   */
  totalHistoryBytes?: number;
  /**
   * The slow-client bound: a client whose unsent bytes stay above it for
   * longer than `slowClientTimeout` is dropped (it can reconnect and resume
   * from history). A client that keeps reading is never dropped, whatever the
   * size of an event or of a burst; one that stops reading is dropped at once
   * when what it left unread from earlier turns of the event loop passes
   * `2 × maxQueuedBytes` plus its largest single write. 0 turns the bound off.
   * Routes may override it.
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
  /**
   * How long, in ms, a client's unsent bytes may stay above `maxQueuedBytes`
   * before it is dropped as slow. Checked by one shared timer.
   * @default 1000
   */
  slowClientTimeout?: number;
  /**
   * Cap on the open streams of this instance, channel and per-client routes
   * together. A stream request beyond it gets `503 Service Unavailable` with a
   * `Retry-After` header and a JSON body, before any SSE header; open streams
   * are not disturbed. Set it (below the process's file-descriptor limit): one
   * client could otherwise open streams until the process runs out of them.
   * 0: no cap.
   * @default 0
   */
  maxClients?: number;
  /**
   * How long, in ms, a per-client Observable route may hold back its status
   * line and headers waiting for the Observable's first value, completion or
   * error — so that an error that comes first is a normal HTTP error (a 404
   * stays a 404, as with Nest's `@Sse()`), while a stream whose first event is
   * far off still opens. 0 sends the headers at once. Channel routes always
   * send them at once. Routes may override it.
   * @default 1000
   */
  maxHeaderDelay?: number;
  /**
   * Applied to event data before it is serialized to JSON — every
   * `publish()`, and every value of a per-client Observable (routes may
   * override it). Nest's interceptors do not see the values of an
   * `@SseChannel()` stream, so `ClassSerializerInterceptor` cannot hide
   * `@Exclude()` fields there: pass class-transformer's `instanceToPlain`
   * here instead.
   * @default undefined (data as it is)
   */
  serialize?: (data: unknown) => unknown;
  /**
   * Name of an event every open stream gets just before the application shuts
   * down (data: `{"reason":"shutdown"}`), e.g. to show "reconnecting…". Unset
   * sends none; clients reconnect on their own either way.
   * @default undefined
   */
  shutdownEvent?: string;
  /**
   * Per-channel overrides of `history` and `historyBytes`, by channel name or
   * pattern with `:param` segments (`'rooms/:id'` matches `rooms/42`). An exact
   * name wins over a pattern; the first matching pattern wins.
   * @default {}
   */
  channels?: Record<string, SseChannelSettings>;
  /**
   * Who a stream belongs to: called when a stream opens, after the guards (so
   * `request.user` set by a guard is there), with what `@Req()` gives on the
   * platform. `undefined`: an anonymous stream. Identities are what
   * `disconnect()`, `maxClientsPerIdentity`, `to`/`except` and presence use.
   * Routes may override it.
   */
  identify?: (request: any) => string | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * When the stream's credential expires (e.g. a JWT's `exp` × 1000), as a
   * `Date` or ms since the epoch: then the stream gets the `closeEvent` with
   * `{"reason":"expired"}` and its response ends (the client's reconnect goes
   * through the guards again). Already past when the stream opens: `401`.
   * One timer for every stream. Routes may override it.
   */
  expiresAt?: (request: any) => Date | number | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * Cap on the open streams of one identity on this instance (all routes);
   * beyond it `429 Too Many Requests` with `Retry-After` and a JSON body.
   * Routes may set their own cap on their streams. 0: no cap.
   * @default 0
   */
  maxClientsPerIdentity?: number;
  /**
   * Name of the event a stream gets just before it is ended for its
   * identity — data `{"reason":"expired"}` or `{"reason":"revoked"}`
   * (`broadcaster.disconnect()`).
   * @default 'sse-close'
   */
  closeEvent?: string;
  /**
   * How long, in ms, an identity's `sse-leave` waits for it to come back (a
   * tab reload is not a leave) on a channel with presence.
   * @default 3000
   */
  presenceLeaveDelay?: number;
  /**
   * Name of the event that ends a channel (`broadcaster.end()`, or a source
   * `connect()`ed with `{ end: true }` that completes): every client gets it —
   * data `{"channel": "…", "reason": "complete" | "error" | "ended"}`, with the
   * channel's next id — then its response ends. Published events may not use
   * this name.
   * @default 'sse-end'
   */
  endEvent?: string;
  /**
   * How long, in ms, an ended channel is remembered after it is dropped, so
   * that a client reconnecting with the end event's id gets `204 No Content`
   * (and `EventSource` stops) instead of waiting on a channel that is over.
   * @default 86400000 (24 hours)
   */
  endedTtl?: number;
  /**
   * Name of the event a client gets when its `Last-Event-ID` cannot be resumed
   * (older than the history, or unknown): a signal to reload its state.
   * @default 'sse-reset'
   */
  resetEvent?: string;
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
}

/**
 * History settings of one channel (or of the channels a pattern matches).
 *
 * @publicApi
 */
export interface SseChannelSettings {
  /** Events kept for replay; 0 turns history off. */
  history?: number;
  /** Bound on the size of the history (the `historyBytes` measure). */
  historyBytes?: number;
}

/** The module options with every default filled in. */
type OptionalAfterResolve = 'retry' | 'shutdownEvent' | 'transport' | 'serialize' | 'identify' | 'expiresAt' | 'metrics';
export type ResolvedSseModuleOptions = Required<Omit<SseModuleOptions, OptionalAfterResolve | 'global'>> &
  Pick<SseModuleOptions, OptionalAfterResolve>;

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
