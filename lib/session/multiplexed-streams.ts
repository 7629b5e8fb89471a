import type { ChannelRegistry } from '../registry/channel-registry.js';
import type { ConnectionTracker } from '../tracker/connection-tracker.js';
import * as messages from '../sse.messages.js';
import { SseEncodingError } from '../wire/encoder.js';
import { ChannelMembership } from './channel-membership.js';
import type { StreamSession } from './stream-session.js';

/**
 * `subscribe()` / `unsubscribe()`: a channel added to (or removed from) every
 * open `@SseChannels()` stream of an identity on this instance, without a
 * reconnect. An added channel streams live from then on; on the client's next
 * reconnect the route's handler decides again.
 */
export class MultiplexedStreams {
  constructor(
    private readonly registry: ChannelRegistry,
    private readonly tracker: ConnectionTracker,
  ) {}

  /** Adds `name` to each stream of `identity` that does not carry it; refuses (changing nothing) one that would pass its `maxChannels`. */
  async subscribe(identity: string, name: string): Promise<void> {
    const streams = this.streamsOf(identity).filter((session) => this.membership(session, name) === undefined);
    for (const session of streams) {
      const count = this.memberships(session).length;
      if (count >= session.multiplexed!.maxChannels) {
        throw new SseEncodingError(messages.tooManyChannels(count + 1, session.multiplexed!.maxChannels));
      }
    }
    await Promise.all(streams.map((session) => this.add(session, name)));
  }

  /** Removes `name` from each stream of `identity` that carries it; the streams go on. */
  async unsubscribe(identity: string, name: string): Promise<void> {
    for (const session of this.streamsOf(identity)) {
      const membership = this.membership(session, name);
      if (membership) {
        session.unsubscribe(membership);
      }
    }
  }

  private async add(session: StreamSession, name: string): Promise<void> {
    const mux = this.registry.multiplexer!;
    const channel = await this.registry.acquire(name);
    try {
      if (session.closed || this.membership(session, name) !== undefined) {
        return;
      }
      const membership = new ChannelMembership(channel, session.connection, this.registry.presence, mux);
      session.subscribe(membership);
      mux.join(session.connection, [channel], 'live');
      membership.enterPresence(session.multiplexed!.presence);
    } finally {
      this.registry.release(channel);
    }
  }

  private streamsOf(identity: string): StreamSession[] {
    return (this.tracker.sessionsOf(identity) as StreamSession[]).filter((session) => session.multiplexed !== undefined && !session.closed);
  }

  private memberships(session: StreamSession): ChannelMembership[] {
    return session.subscribed.filter((subscription): subscription is ChannelMembership => subscription instanceof ChannelMembership);
  }

  private membership(session: StreamSession, name: string): ChannelMembership | undefined {
    return this.memberships(session).find((membership) => membership.channel.name === name);
  }
}
