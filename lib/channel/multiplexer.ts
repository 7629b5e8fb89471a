import type { SseConnection } from '../connection/connection.js';
import type { MissedSince, SequenceView } from '../feed/feed.js';
import type { ChannelEvent } from '../feed/history.js';
import { isFor } from '../model/audience.js';
import type { CloseReason } from '../model/close-reason.js';
import { parseStreamCursor } from '../model/stream-cursor.js';
import { isThenable } from '../util/is-thenable.js';
import { TurnBatcher } from '../util/turn-batcher.js';
import type { Channel } from './channel.js';
import type { ChannelMux } from './channel.interfaces.js';
import { multiplexedFrame, multiplexedReset, multiplexedSlice, type SequencePosition } from './multiplexed-slice.js';

/** Where a stream that carries many channels starts: after a position (a cursor, or 0 from the start), live, or after a cursor it cannot read. */
export type MultiplexedStart = SequencePosition | { readonly unreadable: string } | 'live';

/** Rounds of reading a shared history in a row, for one replay, before the stream is ended to try again on its reconnect. */
const MAX_READ_ROUNDS = 16;

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
  /**
   * Members that resumed at a position this instance had not received yet
   * (on a shared feed, the cursor came from an instance further on): live
   * events up to it are theirs already. Dropped at their first event after it.
   */
  private readonly floors = new Map<SseConnection, { readonly epoch: string; readonly seq: number }>();
  private readonly batch = new TurnBatcher<Queued>((queued) => this.deliver(queued));

  constructor(
    private readonly sequence: SequenceView,
    private readonly resetEvent: string,
    /** Reading what a stream missed failed: it is ended, and reconnects with its cursor. */
    private readonly onReadFailure: (channel: string, error: unknown) => void,
  ) {}

  /** Where a stream starts: after the client's cursor (`Last-Event-ID`) when it is one, else as the route's `from` says. */
  startOf(lastEventId: string | undefined, from: 'start' | 'live' | undefined): MultiplexedStart {
    if (lastEventId === undefined || lastEventId === '') {
      return from === 'start' ? { after: 0, epoch: undefined, cursor: '' } : 'live';
    }
    const cursor = parseStreamCursor(lastEventId);
    return cursor ? { after: cursor.seq, epoch: cursor.epoch, cursor: lastEventId } : { unreadable: lastEventId };
  }

  /** A channel got an event: with multiplexed members, it goes out with this turn's. */
  appended(channel: Channel, entry: ChannelEvent): void {
    if (this.members.has(channel)) {
      this.batch.add({ channel, entry });
    }
  }

  /**
   * Makes `connection` a member of `channels` (counted in at once: its
   * channels are kept), live once it has what it missed of each since
   * `start` (each channel's reset where it cannot tell), merged in sequence
   * order — at the pace it reads: a slice of at most half its queue bound, the
   * next once that one is flushed, each asked for again, so that a reconnect
   * costs no more memory than one slice. It goes live in the turn of a slice
   * whose answers all came from memory (a shared feed's window), so that
   * nothing published meanwhile is lost or sent twice. An ended channel gives
   * its end event (unless the client had it) and takes no member.
   */
  join(connection: SseConnection, channels: readonly Channel[], start: MultiplexedStart): void {
    if (connection.closed) {
      return;
    }
    // Events published earlier in this turn go to the members that were there.
    this.batch.flush();
    if (start === 'live' || 'unreadable' in start) {
      let text = '';
      for (const channel of channels) {
        text += typeof start === 'object' ? multiplexedReset(channel, this.resetEvent, 'unknown-id', start.unreadable) : '';
        // (Without its position: an old end moves no cursor back.)
        text += channel.endEvent ? multiplexedFrame(channel, { ...channel.endEvent, seq: undefined }) : '';
      }
      channels.filter((channel) => channel.endEvent === undefined).forEach((channel) => this.admit(channel, connection));
      if (text !== '') {
        connection.write(text);
      }
      return;
    }
    this.catchingUp.add(connection);
    channels.filter((channel) => channel.endEvent === undefined).forEach((channel) => this.admit(channel, connection));
    this.step(connection, channels, start, 0);
  }

  /** Asks each channel what the stream missed since `position`; writes the slice at once, or once the reads are back. */
  private step(connection: SseConnection, channels: readonly Channel[], position: SequencePosition, rounds: number): void {
    if (connection.closed || !this.catchingUp.has(connection)) {
      return;
    }
    this.batch.flush();
    const answers = channels.map((channel) => channel.feed.missedSince!(position.after, position.epoch));
    if (!answers.some((answer) => isThenable(answer))) {
      this.write(connection, channels, answers as MissedSince[], position, rounds, true);
      return;
    }
    if (rounds >= MAX_READ_ROUNDS) {
      // (A shared window that cannot answer, e.g. while its subscription is lost: the reconnect tries again.)
      connection.end(undefined, 'error');
      return;
    }
    let failed: string | undefined;
    const reads = answers.map((answer, i) =>
      Promise.resolve(answer).catch((error: unknown) => {
        failed ??= channels[i].name;
        throw error;
      }),
    );
    Promise.all(reads).then(
      (read) => this.write(connection, channels, read, position, rounds + 1, false),
      (error: unknown) => {
        if (!connection.closed && this.catchingUp.has(connection)) {
          this.onReadFailure(failed ?? channels[0].name, error);
          connection.end(undefined, 'error');
        }
      },
    );
  }

  private write(connection: SseConnection, channels: readonly Channel[], answers: readonly MissedSince[], position: SequencePosition, rounds: number, complete: boolean): void {
    if (connection.closed || !this.catchingUp.has(connection)) {
      return;
    }
    const budget = connection.maxQueuedBytes > 0 ? connection.maxQueuedBytes / 2 : Infinity;
    const { text, next, reached } = multiplexedSlice(connection, channels, answers, position, this.resetEvent, budget, complete);
    if (next !== undefined) {
      if (text === '') {
        this.step(connection, channels, next, rounds);
      } else {
        connection.write(text, () => this.step(connection, channels, next, rounds));
      }
      return;
    }
    if (text !== '') {
      connection.write(text);
    }
    this.catchingUp.delete(connection);
    if (reached.epoch !== undefined && reached.after > this.sequence.seen(reached.epoch)) {
      this.floors.set(connection, { epoch: reached.epoch, seq: reached.after });
    }
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
      this.floors.delete(connection);
    }
  }

  /**
   * Ends every stream of many channels (they reconnect with their cursor):
   * the shared subscription was lost and is back, and the channels' reads of
   * what they missed would reach a stream out of sequence order.
   */
  restart(): void {
    const streams = new Set<SseConnection>();
    this.members.forEach((members) => members.forEach((member) => streams.add(member)));
    streams.forEach((stream) => stream.end(undefined, 'error'));
  }

  /** `close(channel)`, or its end: its multiplexed members leave it; their streams, carrying other channels, go on. */
  closed(channel: Channel, reason: CloseReason = 'server'): void {
    for (const member of [...(this.members.get(channel) ?? [])]) {
      this.leave(channel, member, reason);
    }
  }

  /** One turn's events to every multiplexed member of their channels, in sequence order, one write per stream. */
  private deliver(queued: readonly Queued[]): void {
    const out = new Map<SseConnection, string>();
    for (const { channel, entry } of queued) {
      const members = this.members.get(channel);
      if (!members) {
        continue;
      }
      const frame = multiplexedFrame(channel, entry);
      let frames = 0;
      for (const member of members) {
        if (!this.catchingUp.has(member) && isFor(entry.audience, member.identity) && !this.belowFloor(member, entry)) {
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

  /** Whether `member` has `entry` already (it resumed past it); its floor goes at its first event after it. */
  private belowFloor(member: SseConnection, entry: ChannelEvent): boolean {
    if (this.floors.size === 0) {
      return false;
    }
    const floor = this.floors.get(member);
    if (floor === undefined) {
      return false;
    }
    if (entry.epoch === floor.epoch && (entry.seq ?? 0) <= floor.seq) {
      return true;
    }
    this.floors.delete(member);
    return false;
  }
}
