import type { Channel } from './channel.js';

/** What a channel has done, for `SseBroadcaster.stats()`. */
export interface ChannelStats {
  clients: number;
  published: number;
  droppedSlow: number;
  replayed: number;
  resets: number;
}

/** What a channel tells its owner. */
export interface ChannelHooks {
  /** The channel got its first client. */
  onBusy(channel: Channel): void;
  /** The channel has no clients left. */
  onIdle(channel: Channel): void;
  /** Reading what a client missed failed (it is disconnected and reconnects with its id). */
  onReadFailure(channel: string, error: unknown): void;
  /** The channel has ended (its end event went by): it takes no more events. */
  onEnded(channel: Channel): void;
}

/** The event names a channel needs to know. */
export interface ChannelEvents {
  /** Sent to a client whose `Last-Event-ID` cannot be resumed. */
  readonly resetEvent: string;
  /** Ends the channel: every client gets it, then the end of its response. */
  readonly endEvent: string;
}
