import type { SseTransport, SseTransportRead } from '../interfaces/sse-transport.interface.js';
import type { ResetReason } from '../model/reset-reason.js';

/**
 * Why a client at `cursor` cannot be resumed from a read of the shared
 * history after it (`readFrom`: the read started at the cursor itself), or
 * `undefined` when it can: a cursor past the newest id, or of a history that
 * is gone, is `unknown-id`; one before what was trimmed, `history-exceeded`;
 * one before the first event of a history that lost none, or inside the
 * history but none of its events (lost, e.g. by a failover, and so may be what
 * followed it), `unknown-id`.
 */
export function cursorReset(read: SseTransportRead, cursor: string, readFrom: boolean, remote: SseTransport): ResetReason | undefined {
  const { lastId, trimmedUpTo, firstId } = read;
  if (lastId === undefined || remote.compareIds(cursor, lastId) > 0) {
    return 'unknown-id';
  }
  if (trimmedUpTo !== undefined && remote.compareIds(cursor, trimmedUpTo) < 0) {
    return 'history-exceeded';
  }
  if (firstId !== undefined && remote.compareIds(cursor, firstId) < 0) {
    return 'unknown-id';
  }
  return readFrom && read.knownId === false ? 'unknown-id' : undefined;
}

/**
 * Whether events after `from` (the last one a feed delivered) are gone from a
 * read of the shared history after it — read once the feed listens again:
 * trimmed meanwhile (`history-exceeded`), or lost with `from` itself
 * (`unknown-id`: inside the history but none of its events).
 */
export function lostAfter(read: SseTransportRead, from: string, remote: SseTransport): ResetReason | undefined {
  if (from === '0-0' || read.lastId === undefined) {
    return undefined;
  }
  if (read.trimmedUpTo !== undefined && remote.compareIds(from, read.trimmedUpTo) < 0) {
    return 'history-exceeded';
  }
  return read.knownId === false ? 'unknown-id' : undefined;
}
