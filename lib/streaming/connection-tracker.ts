import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import { LOG_INTERVAL, RateLimitedLog } from '../util/rate-limited-log.js';
import { SSE_LOGGER_CONTEXT, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { encodeFrame } from '../wire/encoder.js';
import { BacklogWatch } from './backlog-watch.js';
import type { CloseReason } from '../model/close-reason.js';
import type { SseConnection } from './connection.js';
import { ExpiryTimer } from './expiry-timer.js';
import { Heartbeat } from './heartbeat.js';
import { IdentityIndex } from './identity-index.js';
import { StreamSlot } from './stream-slot.js';

/**
 * Every open stream of this instance: the cap on them (`maxClients`), the
 * shared heartbeat, the shared slow-client watch, and the end of them all
 * when the application shuts down.
 */
@Injectable()
export class ConnectionTracker implements BeforeApplicationShutdown {
  readonly heartbeat = new Heartbeat();
  /** The streams of each identity, for caps and `disconnect()`. */
  readonly identities = new IdentityIndex();
  /** One timer for every stream's expiry. */
  private readonly expiries = new ExpiryTimer<SseConnection>((connection) => this.close(connection, 'expired'));
  /** The shared timer of the slow-client rule. */
  readonly backlogWatch: BacklogWatch;
  private readonly connections = new Set<SseConnection>();
  /** Slots taken by stream requests whose stream has not opened yet. */
  private opening = 0;
  private refused = 0;
  private shuttingDown = false;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private readonly slowDrops = new RateLimitedLog(LOG_INTERVAL, (message) => this.logger.warn(message));

  constructor(@Inject(SSE_MODULE_OPTIONS) private readonly options: ResolvedSseModuleOptions) {
    this.backlogWatch = new BacklogWatch(options.slowClientTimeout);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Open streams, channel or per-client. */
  get count(): number {
    return this.connections.size;
  }

  get maxClients(): number {
    return this.options.maxClients;
  }

  /** Stream requests refused because `maxClients` streams were open. */
  get refusedCount(): number {
    return this.refused;
  }

  /** Unsent bytes of every open stream together. */
  get queuedBytes(): number {
    let total = 0;
    for (const connection of this.connections) {
      total += connection.queuedBytes;
    }
    return total;
  }

  /**
   * A slot for a stream about to open, or `undefined` when `maxClients`
   * streams are open or opening. Give it to `track()`, or release it.
   */
  reserve(identity?: string, route?: string): StreamSlot | undefined {
    const max = this.options.maxClients;
    if (max > 0 && this.connections.size + this.opening >= max) {
      this.refused++;
      return undefined;
    }
    this.opening++;
    if (identity === undefined) {
      return new StreamSlot(this.releaseSlot);
    }
    this.identities.hold(identity, route);
    return new StreamSlot(() => {
      this.opening--;
      this.identities.free(identity, route);
    });
  }

  /**
   * Registers an open stream in the place of its slot: heartbeats reach it,
   * shutdown ends it, and when it ends `onClose` runs once and nothing of it
   * stays here.
   */
  track(
    connection: SseConnection,
    slot: StreamSlot,
    heartbeatMs: number,
    onClose: (reason: CloseReason) => void,
    expiresAt?: number,
  ): void {
    slot.release();
    this.connections.add(connection);
    this.heartbeat.add(connection, heartbeatMs);
    const { identity } = connection;
    const route = connection.route || undefined;
    if (identity !== undefined) {
      this.identities.hold(identity, route);
      this.identities.add(identity, connection);
    }
    if (expiresAt !== undefined) {
      this.expiries.add(connection, expiresAt);
    }
    connection.onClose = (closed, reason) => {
      this.connections.delete(closed);
      this.heartbeat.remove(closed, heartbeatMs);
      if (identity !== undefined) {
        this.identities.free(identity, route);
        this.identities.remove(identity, closed);
      }
      if (reason === 'slow') {
        const { method, url, socket } = closed.request;
        this.slowDrops.report((count) => messages.slowClientsDropped(count, `${method} ${url} from ${socket.remoteAddress ?? 'unknown'}`));
      }
      onClose(reason);
    };
  }

  /**
   * Ends every open stream of `identity` on this instance, after the
   * `closeEvent` with reason `revoked`. @returns how many
   */
  disconnect(identity: string): number {
    const streams = this.identities.streamsOf(identity);
    for (const connection of streams) {
      this.close(connection, 'revoked');
    }
    return streams.length;
  }

  /** Ends a stream after the `closeEvent` (its credential expired, or was revoked). */
  private close(connection: SseConnection, reason: 'expired' | 'revoked'): void {
    if (!connection.closed) {
      connection.end(encodeFrame({ event: this.options.closeEvent, data: JSON.stringify({ reason }) }), reason);
    }
  }

  /** Ends every open stream (after the `shutdownEvent`, if set) and stops the timers. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.heartbeat.stop();
    this.expiries.stop();
    this.backlogWatch.stop();
    const { shutdownEvent } = this.options;
    const lastFrame =
      shutdownEvent === undefined ? undefined : Buffer.from(encodeFrame({ event: shutdownEvent, data: '{"reason":"shutdown"}' }));
    for (const connection of this.connections) {
      connection.end(lastFrame, 'shutdown');
    }
    this.connections.clear();
  }

  private readonly releaseSlot = (): void => {
    this.opening--;
  };
}
