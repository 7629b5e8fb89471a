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
export type MultiplexedStart =
  | { readonly after: number; readonly cursor: string; readonly resumed?: true }
  | { readonly unreadable: string }
  | 'start'
  | 'live';

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
  /** Members still being replayed to: counted in their channels, sent nothing live until caught up. */
  private readonly catchingUp = new Set<SseConnection>();
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
   * Makes `connection` a member of `channels`: first what it missed of each
   * since `start` (each channel's reset where it cannot tell), merged in
   * sequence order — at the pace it reads: a slice of at most half its queue
   * bound, the next once that one is flushed, each read again from the
   * history, so that a reconnect costs no more memory than one slice. Then, in
   * the turn of the last slice, it is a member. An ended channel gives its end
   * event (unless the client had it) and takes no member.
   */
  join(connection: SseConnection, channels: readonly Channel[], start: MultiplexedStart): void {
    if (connection.closed) {
      return;
    }
    // Events published earlier in this turn go to the members that were there (and are in history).
    this.batch.flush();
    if (!(typeof start === 'object' && 'resumed' in start)) {
      // Counted in at once (its channels are kept), live once caught up.
      this.catchingUp.add(connection);
      channels.filter((channel) => channel.endEvent === undefined).forEach((channel) => this.admit(channel, connection));
    }
    let text = '';
    const due: { readonly seq: number; readonly channel: Channel; readonly entry: ChannelEvent }[] = [];
    for (const channel of channels) {
      const missed = this.missed(channel, start);
      if (missed.reset && !(missed.reset === 'unknown-id' && typeof start === 'object' && 'resumed' in start)) {
        const lastEventId = typeof start === 'object' ? ('cursor' in start ? start.cursor : start.unreadable) : '';
        text += encodeFrame({
          event: `${channel.name}#${this.resetEvent}`,
          data: JSON.stringify({ reason: missed.reset, lastEventId, channel: channel.name }),
        });
      }
      const end = channel.endEvent;
      let hasEnd = end === undefined || (typeof start === 'object' && 'after' in start && end.seq! <= start.after);
      for (const entry of missed.events) {
        if (isFor(entry.audience, connection.identity)) {
          due.push({ seq: entry.seq!, channel, entry });
        }
        hasEnd ||= entry === end;
      }
      if (!hasEnd) {
        due.push({ seq: end!.seq!, channel, entry: end! });
      }
    }
    due.sort((a, b) => a.seq - b.seq);
    const budget = connection.maxQueuedBytes > 0 ? connection.maxQueuedBytes / 2 : Infinity;
    let taken = 0;
    while (taken < due.length && (taken === 0 || text.length < budget)) {
      text += this.frameOf(due[taken].channel, due[taken].entry);
      taken++;
    }
    if (taken < due.length) {
      // (Resumed: a channel made after this slice's position owes no reset — the first slice said what was owed.)
      const next = { after: due[taken - 1].seq, cursor: typeof start === 'object' && 'cursor' in start ? start.cursor : '', resumed: true as const };
      connection.write(text, () => this.join(connection, channels, next));
      return;
    }
    if (text !== '') {
      connection.write(text);
    }
    this.catchingUp.delete(connection);
  }

  private admit(channel: Channel, connection: SseConnection): void {
    let set = this.members.get(channel);
    if (!set) {
      set = new Set();
      this.members.set(channel, set);
    }
    if (!set.has(connection)) {
      set.add(connection);
      channel.enter();
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
    if (connection.closed) {
      this.catchingUp.delete(connection);
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
        if (!this.catchingUp.has(member) && isFor(entry.audience, member.identity)) {
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
