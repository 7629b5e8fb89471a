import type { SseConnection } from '../connection/connection.js';
import { FROM_START, type Missed } from '../feed/feed.js';
import type { ChannelEvent } from '../feed/history.js';
import { isFor } from '../model/audience.js';
import type { CloseReason } from '../model/close-reason.js';
import { formatStreamCursor, parseStreamCursor } from '../model/stream-cursor.js';
import { TurnBatcher } from '../util/turn-batcher.js';
import { encodeFrame, encodeMultiplexedFrame } from '../wire/encoder.js';
import type { Channel } from './channel.js';
import type { ChannelMux } from './channel.interfaces.js';

/** Where a stream that carries many channels starts: after a cursor, from the start, live, or after a cursor it cannot read. */
export type MultiplexedStart = { readonly after: number; readonly cursor: string } | { readonly unreadable: string } | 'start' | 'live';

interface Queued {
  readonly channel: Channel;
  readonly entry: ChannelEvent;
}

/**
 * The streams that carry many channels (`@SseChannels()`), in memory. Every
 * event has a position in one sequence across channels, and each stream gets
 * the events of all its channels in that order — one write per turn, each
 * event's frame encoded once — so that the last id a client saw, a cursor,
 * tells for every channel what it has. A stream that resumes gets, per
 * channel, what it missed (or that channel's reset), merged in sequence
 * order, and is a member again in the same turn: nothing lost, nothing twice.
 */
export class Multiplexer implements ChannelMux<Channel> {
  private readonly members = new Map<Channel, Set<SseConnection>>();
  private readonly batch = new TurnBatcher<Queued>((queued) => this.deliver(queued));

  constructor(
    /** The sequence's epoch: the part of every cursor that names it. */
    private readonly epoch: string,
    private readonly resetEvent: string,
  ) {}

  /** Where a stream starts: after the client's cursor (`Last-Event-ID`) when it is one of this sequence's, else as the route's `from` says. */
  startOf(lastEventId: string | undefined, from: 'start' | 'live' | undefined): MultiplexedStart {
    if (lastEventId === undefined || lastEventId === '') {
      return from === 'start' ? 'start' : 'live';
    }
    const cursor = parseStreamCursor(lastEventId);
    return cursor?.epoch === this.epoch ? { after: cursor.seq, cursor: lastEventId } : { unreadable: lastEventId };
  }

  /** A channel got an event: with multiplexed members, it goes out with this turn's. */
  appended(channel: Channel, entry: ChannelEvent): void {
    if (this.members.has(channel)) {
      this.batch.add({ channel, entry });
    }
  }

  /**
   * Makes `connection` a member of `channels`: first, in one write, what it
   * missed of each since `start` (each channel's reset where it cannot tell),
   * merged in sequence order. An ended channel gives its end event (unless the
   * client had it) and takes no member.
   */
  join(connection: SseConnection, channels: readonly Channel[], start: MultiplexedStart): void {
    // Events published earlier in this turn go to the members that were there (and are in history).
    this.batch.flush();
    const resets: string[] = [];
    const replay: { readonly seq: number; readonly frame: string }[] = [];
    for (const channel of channels) {
      const missed = this.missed(channel, start);
      if (missed.reset) {
        const lastEventId = typeof start === 'object' ? ('cursor' in start ? start.cursor : start.unreadable) : '';
        const data = JSON.stringify({ reason: missed.reset, lastEventId, channel: channel.name });
        resets.push(encodeFrame({ event: `${channel.name}#${this.resetEvent}`, data }));
      }
      const end = channel.endEvent;
      let hasEnd = end === undefined || (typeof start === 'object' && 'after' in start && end.seq! <= start.after);
      for (const entry of missed.events) {
        if (isFor(entry.audience, connection.identity)) {
          replay.push({ seq: entry.seq!, frame: this.frameOf(channel, entry) });
        }
        hasEnd ||= entry === end;
      }
      if (!hasEnd) {
        replay.push({ seq: end!.seq!, frame: this.frameOf(channel, end!) });
      }
    }
    replay.sort((a, b) => a.seq - b.seq);
    const text = resets.join('') + replay.map(({ frame }) => frame).join('');
    if (text !== '') {
      connection.write(text);
    }
    for (const channel of channels) {
      if (channel.endEvent === undefined && !connection.closed) {
        channel.enter();
        let set = this.members.get(channel);
        if (!set) {
          set = new Set();
          this.members.set(channel, set);
        }
        set.add(connection);
      }
    }
  }

  /** `connection` leaves `channel` (its stream closed, or the channel ended or was closed). */
  leave(channel: Channel, connection: SseConnection, reason: CloseReason): void {
    const set = this.members.get(channel);
    if (set?.delete(connection)) {
      if (set.size === 0) {
        this.members.delete(channel);
      }
      channel.exit(reason);
    }
  }

  /** `close(channel)`, or its end: its multiplexed members leave it; their streams, carrying other channels, go on. */
  closed(channel: Channel, reason: CloseReason = 'server'): void {
    for (const member of [...(this.members.get(channel) ?? [])]) {
      this.leave(channel, member, reason);
    }
  }

  private frameOf(channel: Channel, entry: ChannelEvent): string {
    return encodeMultiplexedFrame(channel.name, entry.event, formatStreamCursor(this.epoch, entry.seq!), entry.body);
  }

  private missed(channel: Channel, start: MultiplexedStart): Missed {
    if (start === 'live') {
      return { events: [] };
    }
    if (start === 'start') {
      return channel.feed.missed(FROM_START) as Missed;
    }
    return 'unreadable' in start ? { events: [], reset: 'unknown-id' } : channel.feed.missedSince!(start.after);
  }

  /** One turn's events to every multiplexed member of their channels, in sequence order, one write per stream. */
  private deliver(queued: readonly Queued[]): void {
    const out = new Map<SseConnection, string>();
    for (const { channel, entry } of queued) {
      const members = this.members.get(channel);
      if (!members) {
        continue;
      }
      const frame = this.frameOf(channel, entry);
      let frames = 0;
      for (const member of members) {
        if (isFor(entry.audience, member.identity)) {
          out.set(member, (out.get(member) ?? '') + frame);
          frames++;
        }
      }
      channel.meter?.delivered(frames);
    }
    for (const [connection, text] of out) {
      connection.write(text);
    }
    // A run that ended: its members got its end event and leave it; their streams go on.
    for (const { channel, entry } of queued) {
      if (entry === channel.endEvent) {
        this.closed(channel, 'ended');
      }
    }
  }
}
