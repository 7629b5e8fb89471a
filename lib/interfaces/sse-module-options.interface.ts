import type { ModuleMetadata } from '@nestjs/common';
import type { SseTransport } from '../transport/sse-transport.interface.js';

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
   * Upper bound of the encoded size, in bytes, of a channel's history: the
   * oldest events go first once it is passed.
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
   * Unsent bytes a client may have queued before it is dropped as a slow client
   * (it can reconnect and resume from history); 0 turns the bound off. Routes
   * may override it.
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
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
}

/**
 * History settings of one channel (or of the channels a pattern matches).
 *
 * @publicApi
 */
export interface SseChannelSettings {
  /** Events kept for replay; 0 turns history off. */
  history?: number;
  /** Bound on the encoded size of the history, in bytes. */
  historyBytes?: number;
}

/** The module options with every default filled in. */
export type ResolvedSseModuleOptions = Required<Omit<SseModuleOptions, 'retry' | 'global' | 'shutdownEvent' | 'transport'>> &
  Pick<SseModuleOptions, 'retry' | 'shutdownEvent' | 'transport'>;

/**
 * Options of `SseModule.forRootAsync()`.
 *
 * @publicApi
 */
export interface SseModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** @default true */
  global?: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inject?: any[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory: (...args: any[]) => Omit<SseModuleOptions, 'global'> | Promise<Omit<SseModuleOptions, 'global'>>;
}
