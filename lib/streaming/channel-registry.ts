import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import { SSE_LOGGER_CONTEXT, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { MemoryTransport } from '../transport/memory.transport.js';
import type { SseTransport, SseTransportEvent, SseTransportHost } from '../transport/sse-transport.interface.js';
import { encodeFrame } from '../wire/encoder.js';
import { Channel } from './channel.js';
import { SharedChannel } from './shared-channel.js';
import { ChannelSettingsResolver } from './channel-settings.js';
import type { CloseReason, SseConnection } from './connection.js';
import { BacklogWatch } from './backlog-watch.js';
import { Heartbeat } from './heartbeat.js';
import { HistoryBudget } from './history-budget.js';
import { StreamSlot } from './stream-slot.js';

const SLOW_WARNING_INTERVAL = 10_000;

/** This instance's totals, from `SseBroadcaster.totals()`. */
export interface SseTotals {
  /** Open streams, channel and per-client routes together. */
  streams: number;
  /** The cap on open streams (`maxClients`); 0 for none. */
  maxClients: number;
  /** Stream requests refused with 503 because `maxClients` streams were open. */
  refusedStreams: number;
  /** Unsent bytes of every open stream together. */
  queuedBytes: number;
  /** Streams whose unsent bytes are above their `maxQueuedBytes` right now (dropped if it lasts). */
  backlogged: number;
  /** Channels this instance holds (with clients, or keeping history). */
  channels: number;
  /** Size of the history of every channel together (the `historyBytes` measure). */
  historyBytes: number;
  /** The bound on it (`totalHistoryBytes`); 0 for none. */
  totalHistoryBytes: number;
  /** Events dropped from a history to keep within `totalHistoryBytes`. */
  evictedEvents: number;
}

/**
 * The in-process state behind the broadcaster and the routes: the channels by
 * name, every open connection, the cap on them, the shared heartbeat and the
 * slow-client watch, and the bound on all history. It ends them all when
 * the application shuts down. It is the transport's host: publishes go out
 * through the transport, and with a shared one events come back through
 * `deliver()` for the channels this instance has clients on.
 */
@Injectable()
export class ChannelRegistry implements SseTransportHost, OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly channels = new Map<string, Channel>();
  private readonly connections = new Set<SseConnection>();
  readonly heartbeat = new Heartbeat();
  /** The shared timer of the slow-client rule. */
  readonly backlogWatch: BacklogWatch;
  /** The bound on the history of all channels together. */
  readonly historyBudget: HistoryBudget;
  /** Slots taken by stream requests whose stream has not opened yet. */
  private opening = 0;
  private refusedStreams = 0;
  private shuttingDown = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly settings: ChannelSettingsResolver;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  /** Slow-client warnings: at most one per interval, with the count of drops since. */
  private slowDrops = 0;
  private lastSlowWarning = 0;
  private replayFailures = 0;
  private lastReplayWarning = 0;
  readonly transport: SseTransport;
  /** Rejects when the application shuts down, so that nobody waits for a channel any longer. */
  private readonly stopping: Promise<never>;
  private stop!: (reason: Error) => void;
  /** Whether channels get their events, ids and history from a shared transport. */
  readonly shared: boolean;

  constructor(@Inject(SSE_MODULE_OPTIONS) readonly options: ResolvedSseModuleOptions) {
    this.settings = new ChannelSettingsResolver(options);
    this.backlogWatch = new BacklogWatch(options.slowClientTimeout);
    this.historyBudget = new HistoryBudget(options.totalHistoryBytes);
    this.transport = options.transport ?? new MemoryTransport();
    this.shared = !this.transport.local;
    this.stopping = new Promise<never>((_, reject) => {
      this.stop = reject;
    });
    this.stopping.catch(() => undefined);
  }

  async onModuleInit(): Promise<void> {
    await this.transport.init(this);
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /**
   * The channel of that name, created if needed. With a shared transport a
   * new channel subscribes first; use `acquire()` to wait for it.
   */
  getOrCreate(name: string): Channel {
    let channel = this.channels.get(name);
    if (channel) {
      return channel;
    }
    if (!this.shared) {
      channel = new Channel(name, this.settings.for(name), this.disposeIfIdle, this.historyBudget);
      this.channels.set(name, channel);
      // Until a client joins it, a new channel is idle (e.g. publish-only).
      this.sweepLater();
      return channel;
    }
    const created = new SharedChannel(
      name,
      this.settings.for(name),
      this.disposeIfIdle,
      this.transport,
      this.warnReplayFailure,
      this.historyBudget,
    );
    created.ready = this.transport.subscribe(name).then(
      (newestId) => created.start(newestId),
      (error: unknown) => {
        if (this.channels.get(name) === created) {
          this.channels.delete(name);
          created.dispose();
          this.transport.unsubscribe(name);
        }
        throw error;
      },
    );
    // Handled by whoever acquires the channel.
    created.ready.catch(() => undefined);
    this.channels.set(name, created);
    return created;
  }

  /**
   * The channel, once it can take clients (subscribed, with a shared
   * transport). It is kept until `release()`, so join or release it.
   */
  async acquire(name: string): Promise<Channel> {
    const channel = this.getOrCreate(name);
    channel.reserved++;
    try {
      await Promise.race([channel.ready, this.stopping]);
    } catch (error) {
      channel.reserved--;
      throw error;
    }
    return channel;
  }

  /** Lets go of a channel from `acquire()` (after the client joined, or when it could not). */
  release(channel: Channel): void {
    channel.reserved--;
    this.dispose(channel);
  }

  /** Publishes through the transport; resolves with the event's id. */
  publish(channel: string, data: string, event: string | undefined, id: string | undefined): Promise<string> {
    const result = this.transport.publish({
      channel,
      event,
      data,
      id,
      history: this.settings.for(channel).history,
      historyTtl: this.options.historyTtl,
    });
    return typeof result === 'string' ? Promise.resolve(result) : result;
  }

  publishLocally(name: string, event: string | undefined, data: string, id: string | undefined): string {
    const channel = this.getOrCreate(name);
    const eventId = channel.publish(data, event, id);
    this.dispose(channel);
    return eventId;
  }

  deliver(name: string, event: SseTransportEvent): void {
    const channel = this.channels.get(name);
    if (channel instanceof SharedChannel) {
      channel.receive(event);
    }
  }

  suspend(): void {
    for (const channel of this.channels.values()) {
      if (channel instanceof SharedChannel) {
        channel.suspend();
      }
    }
  }

  resume(): void {
    for (const channel of this.channels.values()) {
      if (channel instanceof SharedChannel) {
        void channel.resync();
      }
    }
  }

  /** Every channel there is, by name. */
  entries(): IterableIterator<[string, Channel]> {
    return this.channels.entries();
  }

  /** Number of open streams, channel or per-client. */
  get connectionCount(): number {
    return this.connections.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * A slot for a stream about to open, or `undefined` when `maxClients`
   * streams are open or opening. Give it to `track()`, or release it.
   */
  reserveStream(): StreamSlot | undefined {
    const max = this.options.maxClients;
    if (max > 0 && this.connections.size + this.opening >= max) {
      this.refusedStreams++;
      return undefined;
    }
    this.opening++;
    return new StreamSlot(this.releaseSlot);
  }

  private readonly releaseSlot = (): void => {
    this.opening--;
  };

  totals(): SseTotals {
    let queuedBytes = 0;
    for (const connection of this.connections) {
      queuedBytes += connection.queuedBytes;
    }
    return {
      streams: this.connections.size,
      maxClients: this.options.maxClients,
      refusedStreams: this.refusedStreams,
      queuedBytes,
      backlogged: this.backlogWatch.size,
      channels: this.channels.size,
      historyBytes: this.historyBudget.total,
      totalHistoryBytes: this.historyBudget.limit,
      evictedEvents: this.historyBudget.evicted,
    };
  }

  /**
   * Registers an open stream in the place of its slot: heartbeats reach it,
   * shutdown ends it, and when it ends `onClose` runs once and nothing of it
   * stays here.
   */
  track(connection: SseConnection, slot: StreamSlot, heartbeatMs: number, onClose: (reason: CloseReason) => void): void {
    slot.release();
    this.connections.add(connection);
    this.heartbeat.add(connection, heartbeatMs);
    connection.onClose = (conn, reason) => {
      this.connections.delete(conn);
      this.heartbeat.remove(conn, heartbeatMs);
      if (reason === 'slow') {
        this.warnSlow(conn);
      }
      onClose(reason);
    };
  }

  private warnSlow(connection: SseConnection): void {
    this.slowDrops++;
    const now = Date.now();
    if (now - this.lastSlowWarning < SLOW_WARNING_INTERVAL) {
      return;
    }
    this.lastSlowWarning = now;
    const { remoteAddress } = connection.request.socket;
    this.logger.warn(
      `Dropped ${this.slowDrops} slow client(s) in the last ${SLOW_WARNING_INTERVAL / 1000} s (latest: ${connection.request.method} ${connection.request.url} from ${remoteAddress ?? 'unknown'}): more than maxQueuedBytes were waiting to be sent. They can reconnect and resume from history.`,
    );
    this.slowDrops = 0;
  }

  private readonly warnReplayFailure = (channel: Channel, error: unknown): void => {
    this.replayFailures++;
    const now = Date.now();
    if (now - this.lastReplayWarning < SLOW_WARNING_INTERVAL) {
      return;
    }
    this.lastReplayWarning = now;
    this.logger.warn(
      `Could not read the history of channel "${channel.name}" (${this.replayFailures} failure(s) in the last ${SLOW_WARNING_INTERVAL / 1000} s): ${(error as Error)?.message ?? String(error)}. Catching-up clients were disconnected and reconnect with their Last-Event-ID; live delivery waits until the history can be read.`,
    );
    this.replayFailures = 0;
  };

  /** Ends every open stream and stops the heartbeat. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.stop(new Error('the application is shutting down'));
    this.heartbeat.stop();
    this.backlogWatch.stop();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const { shutdownEvent } = this.options;
    const lastFrame =
      shutdownEvent === undefined ? undefined : Buffer.from(encodeFrame({ event: shutdownEvent, data: '{"reason":"shutdown"}' }));
    for (const connection of this.connections) {
      connection.end(lastFrame, true);
    }
    this.connections.clear();
  }

  /** Closes the transport once every stream has ended. */
  async onApplicationShutdown(): Promise<void> {
    this.channels.clear();
    await this.transport.close();
  }

  /** Forgets a channel that holds nothing (no clients, no history); a shared one is unsubscribed. */
  dispose(channel: Channel): void {
    if (channel.isDisposable && this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
      channel.dispose();
      if (this.shared) {
        this.transport.unsubscribe(channel.name);
      }
    }
  }

  private readonly disposeIfIdle = (channel: Channel): void => {
    this.dispose(channel);
    if (this.channels.has(channel.name)) {
      this.sweepLater();
    }
  };

  /**
   * Drops channels that have had no clients for longer than `historyTtl`,
   * from one timer that runs only while such channels exist.
   */
  private sweepLater(): void {
    const ttl = this.options.historyTtl;
    // (Shared channels go as soon as they have no clients; their history is the transport's.)
    if (ttl === 0 || this.sweeper || this.shuttingDown || this.shared) {
      return;
    }
    this.sweeper = setInterval(() => {
      const expired = Date.now() - ttl;
      let idle = 0;
      for (const [name, channel] of this.channels) {
        if (channel.clientCount === 0) {
          if (channel.idleSince <= expired) {
            this.channels.delete(name);
            channel.dispose();
          } else {
            idle++;
          }
        }
      }
      if (idle === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, Math.min(ttl, 60_000));
    this.sweeper.unref();
  }
}
