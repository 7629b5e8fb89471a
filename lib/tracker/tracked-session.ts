import type { SseConnection } from '../connection/connection.js';
import type { CloseReason, ServerCloseReason } from '../model/close-reason.js';

/** What the tracker knows of an open stream's session. */
export interface TrackedSession {
  readonly connection: SseConnection;
  /** ms between heartbeats (0: none) */
  readonly heartbeat: number;
  readonly identity: string | undefined;
  /** ms since the epoch */
  readonly expiresAt: number | undefined;
  readonly closed: boolean;
  /** Ends the stream from the server side, after `lastChunk`. */
  end(lastChunk: string | Buffer | undefined, reason: ServerCloseReason): void;
}

/** What the tracker does for open sessions: heartbeats, expiry, `disconnect()`, shutdown. */
export interface SessionRegistry {
  add(session: TrackedSession): void;
  remove(session: TrackedSession, reason: CloseReason): void;
}
