import { randomInt } from 'node:crypto';

/** Random for each process: epochs of two processes (or before and after a restart) made in the same millisecond meet by a 1 in 78 billion chance only. */
const PROCESS_TAG = randomInt(36 ** 7).toString(36).padStart(7, '0');
/** How many epochs this process has made: two made in the same millisecond never meet. */
let made = 0;

/**
 * A new epoch: the part of ids that names where they come from — a local
 * channel's (`<epoch>-<n>`), a sequence's across channels (`<epoch>.<seq>`).
 * Its creation time (ms, base 36), this process's random tag and a count:
 * never the epoch of another channel or sequence of this process, and
 * practically never one of another process's. Base 36 only (printable, no
 * space, `-` or `.`), at most 20 characters.
 */
export function newEpoch(): string {
  return `${Date.now().toString(36)}${PROCESS_TAG}${(made++ % 36 ** 4).toString(36)}`;
}
