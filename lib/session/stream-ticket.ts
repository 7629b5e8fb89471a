import * as messages from '../sse.messages.js';
import type { StreamSlot } from '../tracker/stream-slot.js';

/** What `reserve()` decided for a request: its place under the caps, who it is, when it expires. */
export interface StreamTicket {
  readonly slot: StreamSlot;
  readonly identity: string | undefined;
  /** ms since the epoch */
  readonly expiresAt: number | undefined;
}

export function checkIdentity(identity: unknown, handler: string): string | undefined {
  if (identity === undefined || identity === null) {
    return undefined;
  }
  if (typeof identity !== 'string' || identity === '') {
    throw new Error(messages.badIdentity(handler, identity));
  }
  return identity;
}

export function checkExpiry(expiresAt: unknown, handler: string): number | undefined {
  if (expiresAt === undefined || expiresAt === null) {
    return undefined;
  }
  const at = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt;
  if (typeof at !== 'number' || Number.isNaN(at)) {
    throw new Error(messages.badExpiry(handler, expiresAt));
  }
  return at;
}
