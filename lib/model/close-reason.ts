/**
 * Why the server ended a stream: the application shuts down, its channel
 * ended, its own Observable completed or failed, its credential expired or
 * was revoked (`disconnect()`), or anything else (`server`).
 */
export type ServerCloseReason = 'server' | 'shutdown' | 'ended' | 'complete' | 'error' | 'expired' | 'revoked';

/** Why a stream ended: the client went away, it was dropped as slow, or the server ended it. */
export type CloseReason = 'client' | 'slow' | ServerCloseReason;
