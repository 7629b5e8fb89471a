import type { SseConnection } from '../connection/connection.js';
import type { ChannelEvent } from '../feed/history.js';

/**
 * What a channel needs of a member: a client's {@link SseConnection}, or a
 * reader of the channel inside this process (e.g. the MCP store following a
 * stream for a client that resumed on another instance).
 */
export type ChannelMember = Pick<SseConnection, 'closed' | 'maxQueuedBytes' | 'eventName' | 'identity' | 'write' | 'end'>;

/** What a channel has done, for `SseBroadcaster.stats()`. */
export interface ChannelStats {
  clients: number;
  published: number;
  droppedSlow: number;
  replayed: number;
  resets: number;
}

/** What a channel tells its owner (`C`: the channel's class, which imports this file). */
export interface ChannelHooks<C> {
  /** The channel got its first client. */
  onBusy(channel: C): void;
  /** The channel has no clients left. */
  onIdle(channel: C): void;
  /** Reading what a client missed failed (it is disconnected and reconnects with its id). */
  onReadFailure(channel: string, error: unknown): void;
  /** The channel has ended (its end event went by): it takes no more events. */
  onEnded(channel: C): void;
}

/** The event names a channel needs to know. */
export interface ChannelEvents {
  /** Sent to a client whose `Last-Event-ID` cannot be resumed. */
  readonly resetEvent: string;
  /** Ends the channel: every client gets it, then the end of its response. */
  readonly endEvent: string;
}

/** Where a channel's events go for streams that carry many channels (the multiplexer; `C`: the channel's class). */
export interface ChannelMux<C> {
  /** The channel got an event. */
  appended(channel: C, entry: ChannelEvent): void;
  /** The channel was closed: its multiplexed members leave it. */
  closed(channel: C): void;
}
