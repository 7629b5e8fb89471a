import type { SseConnection } from '../connection/connection.js';
import type { MissedSince } from '../feed/feed.js';
import type { ChannelEvent } from '../feed/history.js';
import { isFor } from '../model/audience.js';
import type { ResetReason } from '../model/reset-reason.js';
import { formatStreamCursor } from '../model/stream-cursor.js';
import { encodeFrame, encodeMultiplexedFrame } from '../wire/encoder.js';
import type { Channel } from './channel.js';

/** A position in the sequence across channels: after `after` of the sequence `epoch` (`undefined`: from the start). */
export interface SequencePosition {
  readonly after: number;
  readonly epoch: string | undefined;
  /** The client's `Last-Event-ID` ('' from the start), for its resets. */
  readonly cursor: string;
  /** A later slice of a replay: a channel made after the position owes no reset (the first slice said what was owed). */
  readonly resumed?: true;
}

/** One slice of a replay: its text, and where the next starts (`undefined`: none — the stream has what it missed). */
export interface MultiplexedSlice {
  readonly text: string;
  readonly next: SequencePosition | undefined;
  /** The position the stream is at once `text` is written. */
  readonly reached: SequencePosition;
}

/** A channel's event on a stream of many channels; no `id:` for an event without a position (it moves no cursor). */
export function multiplexedFrame(channel: Channel, entry: ChannelEvent): string {
  const cursor = entry.seq === undefined || entry.epoch === undefined ? undefined : formatStreamCursor(entry.epoch, entry.seq);
  return encodeMultiplexedFrame(channel.name, entry.event, cursor, entry.body);
}

/** A channel's reset on such a stream: `<channel>#<reset event>`, no `id:` (it moves no cursor). */
export function multiplexedReset(channel: Channel, resetEvent: string, reason: ResetReason, lastEventId: string): string {
  return encodeFrame({ event: `${channel.name}#${resetEvent}`, data: JSON.stringify({ reason, lastEventId, channel: channel.name }) });
}

/**
 * The next slice of what a stream at `position` missed, from each channel's
 * answer (`answers[i]` for `channels[i]`): the resets owed, then the events
 * for its identity — an ended channel's end event among them unless the
 * client had it — merged in sequence order, up to the lowest `upTo` of the
 * answers (what comes after it is asked for again), at most `budget`
 * characters (at least one event). `next` says where the following slice
 * starts: after the last event written, or after the answers' `upTo` when
 * they were read from a shared history (what came since is asked for again).
 * `complete`: the answers hold everything up to now (read in this turn).
 */
export function multiplexedSlice(
  connection: SseConnection,
  channels: readonly Channel[],
  answers: readonly MissedSince[],
  position: SequencePosition,
  resetEvent: string,
  budget: number,
  complete: boolean,
): MultiplexedSlice {
  // From the start, or a sequence made anew: the answers' epoch from here on.
  const epoch = answers.find((answer) => answer.epoch !== position.epoch)?.epoch ?? position.epoch;
  const moved = epoch !== position.epoch;
  let upTo = Infinity;
  let text = '';
  const due: { readonly seq: number; readonly channel: Channel; readonly entry: ChannelEvent }[] = [];
  channels.forEach((channel, i) => {
    const missed = answers[i];
    upTo = Math.min(upTo, missed.upTo);
    if (missed.reset && !(missed.reset === 'unknown-id' && position.resumed)) {
      text += multiplexedReset(channel, resetEvent, missed.reset, position.cursor);
    }
    const end = channel.endEvent;
    let hasEnd = end === undefined || (!moved && end.epoch === epoch && (end.seq ?? 0) <= position.after);
    for (const entry of missed.events) {
      if (isFor(entry.audience, connection.identity)) {
        due.push({ seq: entry.seq ?? 0, channel, entry });
      }
      hasEnd ||= entry.id === end!.id;
    }
    if (!hasEnd) {
      due.push({ seq: end!.seq ?? 0, channel, entry: end! });
    }
  });
  due.sort((a, b) => a.seq - b.seq);
  let taken = 0;
  while (taken < due.length && due[taken].seq <= upTo && (taken === 0 || text.length < budget)) {
    text += multiplexedFrame(due[taken].channel, due[taken].entry);
    taken++;
  }
  const cut = taken < due.length && due[taken].seq <= upTo;
  const lastWritten = taken > 0 ? due[taken - 1].seq : undefined;
  const at = (after: number): SequencePosition => ({ after, epoch, cursor: position.cursor, resumed: true });
  if (cut) {
    return { text, next: at(lastWritten!), reached: at(lastWritten!) };
  }
  const reachedAfter = moved ? (lastWritten ?? 0) : Math.max(position.after, lastWritten ?? 0);
  if (complete) {
    return { text, next: undefined, reached: at(reachedAfter) };
  }
  // Read from a shared history: everything up to `upTo` is written; what came since is asked for again.
  const readUpTo = Number.isFinite(upTo) ? upTo : reachedAfter;
  return { text, next: at(moved ? readUpTo : Math.max(position.after, readUpTo)), reached: at(reachedAfter) };
}
