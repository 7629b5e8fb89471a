import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import { SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { Channel } from './channel.js';
import type { CloseReason, SseConnection } from './connection.js';
import { Heartbeat } from './heartbeat.js';

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

  constructor(@Inject(SSE_MODULE_OPTIONS) readonly options: ResolvedSseModuleOptions) {}

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  getOrCreate(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(name, this.options, this.disposeIfIdle);
      this.channels.set(name, channel);
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
      onClose(reason);
    };
  }

  /** Ends every open stream and stops the heartbeat. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.heartbeat.stop();
    for (const connection of this.connections) {
      connection.end();
    }
    this.connections.clear();
  }

  /** Forgets a channel that holds nothing (no clients, no history). */
  dispose(channel: Channel): void {
    if (channel.isDisposable && this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
    }
  }

  private readonly disposeIfIdle = (channel: Channel): void => this.dispose(channel);
}
