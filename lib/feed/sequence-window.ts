import type { SseTransport, SseTransportReadSince } from '../interfaces/sse-transport.interface.js';
import type { MissedSince } from './feed.js';
import type { ChannelEvent } from './history.js';
import { toEntry } from './transport-entry.js';

/** Events read per round trip for a stream on many channels (one read per channel). */
const REMOTE_BATCH_SINCE = 100;

/**
 * What a shared feed's window (its local copy of the shared history) can tell
 * a stream on many channels by position in the sequence across channels:
 * every event after `floor` reaches it, since a read of the shared history
 * made once subscribed saw every event up to there. Its events all have one
 * epoch; once two are seen (the shared sequence was made anew, e.g. Redis
 * lost its data) it answers nothing by position any more.
 */
export class SequenceWindow {
  private floor: { readonly epoch: string; readonly seq: number } | undefined;
  private epoch: string | undefined;
  private mixed = false;

  /** An event entered the window. */
  entered({ epoch }: ChannelEvent): void {
    if (epoch !== undefined) {
      this.mixed ||= this.epoch !== undefined && this.epoch !== epoch;
      this.epoch = epoch;
    }
  }

  /**
   * Reads the shared history of `channel` after position `seq` of `epoch` (a
   * page): call it once subscribed, so that the read also tells from where the
   * window holds every event.
   */
  async readShared(remote: SseTransport, channel: string, seq: number, epoch: string | undefined): Promise<MissedSince> {
    const read = await remote.readSince!(channel, seq, REMOTE_BATCH_SINCE, epoch === undefined);
    this.read(read.epoch, read.current);
    return missedFromRead(read, epoch, REMOTE_BATCH_SINCE);
  }

  /** A read of the shared history, made once subscribed, saw every event of sequence `epoch` up to `current`. */
  private read(epoch: string, current: number): void {
    if (!this.mixed && (this.epoch ?? epoch) === epoch && !(this.floor?.epoch === epoch && this.floor.seq <= current)) {
      this.floor = { epoch, seq: current };
    }
  }

  /**
   * Whether the window holds every event after position `seq` of `epoch`:
   * its floor is at or before it, and it dropped none after it (`droppedSeq`:
   * the newest it dropped).
   */
  covers(seq: number, epoch: string | undefined, droppedSeq: number): boolean {
    const { floor } = this;
    return (
      epoch !== undefined &&
      floor?.epoch === epoch &&
      floor.seq <= seq &&
      !this.mixed &&
      (this.epoch === undefined || this.epoch === epoch) &&
      droppedSeq <= seq
    );
  }
}

/**
 * A read of the shared history after position `seq` of `epoch` (`undefined`:
 * from the start) as what a stream missed: nothing but a reset when the
 * sequence is another one now; else the events read, the reset first when
 * some may be missing, complete up to the sequence's position when read — or
 * up to the last event, when the read filled its page (`count`).
 */
export function missedFromRead(
  read: SseTransportReadSince,
  epoch: string | undefined,
  count: number,
): MissedSince {
  if (epoch !== undefined && read.epoch !== epoch) {
    return { events: [], reset: 'unknown-id', upTo: read.current, epoch: read.epoch };
  }
  const events = read.events.map(toEntry);
  const reset = read.missing === 'trimmed' ? 'history-exceeded' : read.missing === 'unknown' ? 'unknown-id' : undefined;
  const upTo = events.length === count ? (events.at(-1)!.seq ?? read.current) : read.current;
  return { events, reset, upTo, epoch: read.epoch };
}
