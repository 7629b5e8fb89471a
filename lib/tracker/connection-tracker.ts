import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../options/module-options.js';
import type { CloseReason } from '../model/close-reason.js';
import type { SessionRegistry, TrackedSession } from './tracked-session.js';
import { StreamSlot } from './stream-slot.js';
import { LOG_INTERVAL, RateLimitedLog } from '../util/rate-limited-log.js';
import { SSE_LOGGER_CONTEXT, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { encodeFrame } from '../wire/encoder.js';
import { BacklogWatch } from '../connection/backlog-watch.js';
import { ExpiryTimer } from '../util/expiry-timer.js';
import { Heartbeat } from './heartbeat.js';
import { IdentityIndex } from './identity-index.js';

/** A route that caps the streams of one identity on it. */
export interface CappedRoute {
  /** `Class.method` */
  readonly name: string;
  /** 0: no cap of its own */
  readonly cap: number;
}

/** A place under the caps, or which cap refused it. */
export type Reservation =
  | { readonly slot: StreamSlot; readonly refused?: undefined }
  | { readonly refused: 'max_clients' | 'max_clients_per_identity'; readonly cap: number; readonly slot?: undefined };

/**
 * Every stream of this instance, from the request that reserves its place to
 * the close of its session: the caps (`maxClients`, `maxClientsPerIdentity`
 * of the module and of routes), the shared heartbeat, expiry timer and
 * slow-client watch, `disconnect()`, and the end of them all when the
 * application shuts down.
 */
@Injectable()
export class ConnectionTracker implements SessionRegistry, BeforeApplicationShutdown {
  readonly heartbeat = new Heartbeat();
  /** The shared timer of the slow-client rule. */
  readonly backlogWatch: BacklogWatch;
  /** The streams of each identity (reserved or open), for caps and `disconnect()`. */
  private readonly identities = new IdentityIndex<TrackedSession>();
  /** One timer for every stream's expiry. */
  private readonly expiries = new ExpiryTimer<TrackedSession>((session) => this.cutOff(session, 'expired'));
  private readonly sessions = new Set<TrackedSession>();
  /** Places taken: streams open, and requests whose stream has not opened yet. */
  private places = 0;
  private refused = 0;
  private shuttingDown = false;
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private readonly slowDrops = new RateLimitedLog(LOG_INTERVAL, (message) => this.logger.warn(message));

  constructor(@Inject(SSE_MODULE_OPTIONS) private readonly options: ResolvedSseModuleOptions) {
    this.backlogWatch = new BacklogWatch(options.limits.slowClientTimeout);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Open streams, channel or per-client. */
  get count(): number {
    return this.sessions.size;
  }

  get maxClients(): number {
    return this.options.limits.maxClients;
  }

  /** Stream requests refused because `maxClients` streams were open. */
  get refusedCount(): number {
    return this.refused;
  }

  /** Unsent bytes of every open stream together. */
  get queuedBytes(): number {
    let total = 0;
    for (const session of this.sessions) {
      total += session.connection.queuedBytes;
    }
    return total;
  }

  /**
   * A place for a stream about to open, unless a cap is reached: the
   * identity's on the module or on `route`, or `maxClients` (streams open or
   * opening). Its session gives it back when it closes; a request that ends
   * without a stream, when it ends.
   */
  reserve(identity: string | undefined, route?: CappedRoute): Reservation {
    const { maxClients } = this.options.limits;
    const { maxClientsPerIdentity } = this.options.identities;
    const routeCap = route?.cap ?? 0;
    if (identity !== undefined) {
      if (maxClientsPerIdentity > 0 && this.identities.count(identity) >= maxClientsPerIdentity) {
        return { refused: 'max_clients_per_identity', cap: maxClientsPerIdentity };
      }
      if (routeCap > 0 && this.identities.count(identity, route!.name) >= routeCap) {
        return { refused: 'max_clients_per_identity', cap: routeCap };
      }
    }
    if (maxClients > 0 && this.places >= maxClients) {
      this.refused++;
      return { refused: 'max_clients', cap: maxClients };
    }
    this.places++;
    if (identity === undefined) {
      return { slot: new StreamSlot(this.releasePlace) };
    }
    // (Streams are counted per route only where the route caps them.)
    const counted = routeCap > 0 ? route!.name : undefined;
    this.identities.hold(identity, counted);
    return {
      slot: new StreamSlot(() => {
        this.places--;
        this.identities.free(identity, counted);
      }),
    };
  }

  /** An open session: heartbeats reach it, it may expire, `disconnect()` and shutdown end it. */
  add(session: TrackedSession): void {
    this.sessions.add(session);
    this.heartbeat.add(session.connection, session.heartbeat);
    if (session.identity !== undefined) {
      this.identities.add(session.identity, session);
    }
    if (session.expiresAt !== undefined) {
      this.expiries.add(session, session.expiresAt);
    }
  }

  /** A session closed: nothing of it stays here (an expiry still due is skipped when it comes). */
  remove(session: TrackedSession, reason: CloseReason): void {
    this.sessions.delete(session);
    this.heartbeat.remove(session.connection, session.heartbeat);
    if (session.identity !== undefined) {
      this.identities.remove(session.identity, session);
    }
    if (reason === 'slow') {
      const { method, url, socket } = session.connection.request;
      this.slowDrops.report((count) => messages.slowClientsDropped(count, `${method} ${url} from ${socket.remoteAddress ?? 'unknown'}`));
    }
  }

  /** The open streams of `identity` on this instance. */
  sessionsOf(identity: string): TrackedSession[] {
    return this.identities.streamsOf(identity);
  }

  /**
   * Ends every open stream of `identity` on this instance, after the
   * `closeEvent` with reason `revoked`. @returns how many
   */
  disconnect(identity: string): number {
    const sessions = this.identities.streamsOf(identity);
    for (const session of sessions) {
      this.cutOff(session, 'revoked');
    }
    return sessions.length;
  }

  /** Ends a stream after the `closeEvent` (its credential expired, or was revoked). */
  private cutOff(session: TrackedSession, reason: 'expired' | 'revoked'): void {
    if (!session.closed) {
      session.end(encodeFrame({ event: this.options.events.accessEnd, data: JSON.stringify({ reason }) }), reason);
    }
  }

  /** Ends every open stream (after the `shutdownEvent`, if set) and stops the timers. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    this.heartbeat.stop();
    this.expiries.stop();
    this.backlogWatch.stop();
    const { shutdown: shutdownEvent } = this.options.events;
    const lastFrame =
      shutdownEvent === undefined ? undefined : Buffer.from(encodeFrame({ event: shutdownEvent, data: '{"reason":"shutdown"}' }));
    for (const session of [...this.sessions]) {
      session.end(lastFrame, 'shutdown');
    }
    this.sessions.clear();
  }

  private readonly releasePlace = (): void => {
    this.places--;
  };
}
