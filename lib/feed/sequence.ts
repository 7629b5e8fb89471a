import { randomInt } from 'node:crypto';

/** How many sequences this process has made: two made in the same millisecond never share an epoch. */
let sequencesMade = 0;

/**
 * One sequence across every channel of a feed source (in memory: one per
 * process): each published event gets the next position, 1, 2, 3 … — the
 * order of publishing. Its epoch names it: the creation time (ms, base 36), a
 * random tag and a count, so that a cursor of another process, or of this one
 * before a restart, is never read as a position in this sequence. Base 36
 * only, at most 20 characters.
 */
export class StreamSequence {
  readonly epoch = `${Date.now().toString(36)}${randomInt(36 ** 7)
    .toString(36)
    .padStart(7, '0')}${(sequencesMade++ % 36 ** 4).toString(36)}`;
  private last = 0;

  /** The position of the newest event (0: none yet). */
  get current(): number {
    return this.last;
  }

  /** The position of a new event. */
  next(): number {
    return ++this.last;
  }
}
