import type { CloseReason } from '../model/close-reason.js';
import type { Channel } from '../channel/channel.js';
import type { Multiplexer } from '../channel/multiplexer.js';
import type { SseConnection } from '../connection/connection.js';
import type { Cursor } from '../feed/feed.js';
import type { Presence } from '../presence/presence.js';
import type { SessionSubscription } from './stream-session.js';

/**
 * A session's place on one channel: it joins the channel (with what the
 * client missed) — on its own, or through the {@link Multiplexer} for a
 * stream that carries many channels — then its presence; it leaves in the
 * reverse order.
 */
export class ChannelMembership implements SessionSubscription {
  private present = false;

  constructor(
    readonly channel: Channel,
    private readonly connection: SseConnection,
    private readonly presence: Presence,
    /** For a stream that carries many channels: it joined and leaves through it. */
    private readonly mux?: Multiplexer,
  ) {}

  /** Joins from `cursor` (a `Last-Event-ID`, the start, or live with `undefined`); `announce`: the route has presence. */
  join(cursor: Cursor | undefined, announce: boolean): void {
    this.channel.join(this.connection, cursor);
    this.enterPresence(announce);
  }

  /** Counts an identified stream on the channel (announced where the route has presence). */
  enterPresence(announce: boolean): void {
    const { connection, channel } = this;
    if (connection.identity !== undefined && !connection.closed) {
      this.present = true;
      this.presence.joined(channel.name, connection.identity, announce);
    }
  }

  leave(reason: CloseReason): void {
    if (this.present) {
      this.present = false;
      this.presence.left(this.channel.name, this.connection.identity!);
    }
    if (this.mux) {
      this.mux.leave(this.channel, this.connection, reason);
    } else {
      this.channel.leave(this.connection, reason);
    }
  }
}
