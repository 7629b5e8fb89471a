import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import { SSE_LOGGER_CONTEXT, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { encodeFrame } from '../wire/encoder.js';
import { Channel } from './channel.js';
import { ChannelSettingsResolver } from './channel-settings.js';
import type { CloseReason, SseConnection } from './connection.js';
import { Heartbeat } from './heartbeat.js';

const SLOW_WARNING_INTERVAL = 10_000;

/**
 * The in-process state behind the broadcaster and the routes: the channels by
 * name, every open connection, and the shared heartbeat. It ends them all when
 * the application shuts down.
 */
@Injectable()
export class ChannelRegistry implements BeforeApplicationShutdown {
  private readonly channels = new Map<string, Channel>();
  private readonly connections = new Set<SseConnection>();
  readonly heartbeat = new Heartbeat();
  private shuttingDown = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly settings: ChannelSettingsResolver;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  /** Slow-client warnings: at most one per interval, with the count of drops since. */
  private slowDrops = 0;
  private lastSlowWarning = 0;

  constructor(@Inject(SSE_MODULE_OPTIONS) readonly options: ResolvedSseModuleOptions) {
    this.settings = new ChannelSettingsResolver(options);
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  getOrCreate(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(name, this.settings.for(name), this.disposeIfIdle);
      this.channels.set(name, channel);
      // Until a client joins it, a new channel is idle (e.g. publish-only).
      this.sweepLater();
    }
    return channel;
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
   * Registers an open stream: heartbeats reach it, shutdown ends it, and when
   * it ends `onClose` runs once and nothing of it stays here.
   */
  track(connection: SseConnection, heartbeatMs: number, onClose: (reason: CloseReason) => void): void {
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

  /** Ends every open stream and stops the heartbeat. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.heartbeat.stop();
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

  /** Forgets a channel that holds nothing (no clients, no history). */
  dispose(channel: Channel): void {
    if (channel.isDisposable && this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
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
    if (ttl === 0 || this.sweeper || this.shuttingDown) {
      return;
    }
    this.sweeper = setInterval(() => {
      const expired = Date.now() - ttl;
      let idle = 0;
      for (const [name, channel] of this.channels) {
        if (channel.clientCount === 0) {
          if (channel.idleSince <= expired) {
            this.channels.delete(name);
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
