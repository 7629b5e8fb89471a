import type { ServerResponse, IncomingMessage } from 'node:http';
import type { StreamMeter } from '../model/meters.js';
import type { CloseReason } from '../model/close-reason.js';
import type { BacklogWatch } from '../connection/backlog-watch.js';
import { SseConnection, type ConnectionOwner } from '../connection/connection.js';
import type { StreamSlot } from '../tracker/stream-slot.js';
import type { SessionRegistry, TrackedSession } from '../tracker/tracked-session.js';

/**
 * What a session is subscribed to: a channel (with its presence), or the
 * client's own Observable. `leave` runs once, when the stream ends.
 */
export interface SessionSubscription {
  leave(reason: CloseReason): void;
}


/** Everything a session is built with (decided before the headers went out). */
export interface SessionInit {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The route's event name for frames that carry none ('' for none). */
  readonly eventName: string;
  readonly maxQueuedBytes: number;
  readonly heartbeat: number;
  /** Its place under the caps, held until the session closes. */
  readonly slot: StreamSlot;
  readonly identity: string | undefined;
  /** ms since the epoch */
  readonly expiresAt: number | undefined;
  /** The route's meter (`undefined`: metrics are off). */
  readonly meter: StreamMeter | undefined;
  readonly watch: BacklogWatch | undefined;
  /** A stream that carries many channels (`@SseChannels()`): its route's limit, and whether its channels announce presence. */
  readonly multiplexed?: MultiplexedSettings;
}

/** What `subscribe()` needs to know of a stream that carries many channels. */
export interface MultiplexedSettings {
  readonly maxChannels: number;
  readonly presence: boolean;
}

/**
 * One open stream: its connection, its place under the caps, who it belongs
 * to and until when, its meter, and what it is subscribed to — all given to
 * the constructor. It opens in one order (slot, meter, connection, tracker,
 * subscriptions) and closes in {@link close}, in the reverse one: whatever
 * ended the connection (the client, the slow-client rule, expiry,
 * `disconnect()`, the channel's end, shutdown).
 */
export class StreamSession implements ConnectionOwner, TrackedSession {
  readonly connection: SseConnection;
  readonly heartbeat: number;
  readonly expiresAt: number | undefined;
  readonly multiplexed: MultiplexedSettings | undefined;
  private readonly slot: StreamSlot;
  private readonly meter: StreamMeter | undefined;
  private readonly subscriptions: SessionSubscription[] = [];
  private tracked = false;

  constructor(
    init: SessionInit,
    private readonly registry: SessionRegistry,
  ) {
    this.slot = init.slot;
    init.slot.open();
    this.meter = init.meter;
    this.heartbeat = init.heartbeat;
    this.expiresAt = init.expiresAt;
    this.multiplexed = init.multiplexed;
    init.meter?.opened();
    this.connection = new SseConnection(init.request, init.response, init.eventName, init.maxQueuedBytes, init.watch, init.identity, init.meter, this);
  }

  get identity(): string | undefined {
    return this.connection.identity;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Puts the session in the tracker's care (heartbeats, expiry, `disconnect()`, shutdown), unless it is over. */
  track(): void {
    if (!this.connection.closed && !this.tracked) {
      this.tracked = true;
      this.registry.add(this);
    }
  }

  /** Adds what the stream is subscribed to; left when it closes (at once if it is over already). */
  subscribe(subscription: SessionSubscription): void {
    if (this.connection.closed) {
      subscription.leave('server');
      return;
    }
    this.subscriptions.push(subscription);
  }

  /** Leaves one of its subscriptions while the stream goes on (`unsubscribe()`). */
  unsubscribe(subscription: SessionSubscription): void {
    const index = this.subscriptions.indexOf(subscription);
    if (index !== -1) {
      this.subscriptions.splice(index, 1);
      subscription.leave('server');
    }
  }

  /** What it is subscribed to (a copy). */
  get subscribed(): readonly SessionSubscription[] {
    return [...this.subscriptions];
  }

  /** Nothing was written with the headers (no retry, replay or early value): sends them on their own. */
  flushHeaders(): void {
    if (!this.connection.written && !this.connection.closed) {
      this.connection.response.flushHeaders();
    }
  }

  /** Ends the stream from the server side, after `lastChunk`; {@link close} follows. */
  end(lastChunk: string | Buffer | undefined, reason: Parameters<SseConnection['end']>[1]): void {
    this.connection.end(lastChunk, reason);
  }

  /** The connection ended: {@link close}. */
  connectionClosed(reason: CloseReason): void {
    this.close(reason);
  }

  /**
   * The one way out, in the reverse order of opening: subscriptions (each
   * leaves its presence, then its channel), the tracker, the slot, metrics.
   * Runs once: the connection tells its owner once.
   */
  private close(reason: CloseReason): void {
    for (let i = this.subscriptions.length - 1; i >= 0; i--) {
      this.subscriptions[i].leave(reason);
    }
    this.subscriptions.length = 0;
    if (this.tracked) {
      this.registry.remove(this, reason);
    }
    this.slot.release();
    this.meter?.closed(reason);
  }
}
