import { newEpoch } from '../util/epoch.js';
import type { SequenceView } from './feed.js';

/**
 * One sequence across every channel of a feed source (in memory: one per
 * process): each published event gets the next position, 1, 2, 3 … — the
 * order of publishing. Its epoch ({@link newEpoch}) names it, so that a cursor
 * of another process, or of this one before a restart, is never read as a
 * position in this sequence.
 */
export class StreamSequence implements SequenceView {
  readonly epoch = newEpoch();
  private last = 0;

  /** The position of the newest event (0: none yet). */
  get current(): number {
    return this.last;
  }

  seen(epoch: string): number {
    return epoch === this.epoch ? this.last : 0;
  }

  /** The position of a new event. */
  next(): number {
    return ++this.last;
  }
}
