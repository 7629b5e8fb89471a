/**
 * This instance as a whole, from `SseBroadcaster.totals()`.
 *
 * @publicApi
 */
export interface SseTotals {
  /** Open streams, channel and per-client routes together. */
  streams: number;
  /** The cap on open streams (`maxClients`); 0 for none. */
  maxClients: number;
  /** Stream requests refused with 503 because `maxClients` streams were open. */
  refusedStreams: number;
  /** Unsent bytes of every open stream together. */
  queuedBytes: number;
  /** Streams whose unsent bytes are above their `maxQueuedBytes` right now (dropped if it lasts). */
  backlogged: number;
  /** Channels this instance holds (with clients, or keeping history). */
  channels: number;
  /** Size of the history of every channel together (the `historyBytes` measure). */
  historyBytes: number;
  /** The bound on it (`totalHistoryBytes`); 0 for none. */
  totalHistoryBytes: number;
  /** Events dropped from a history to keep within `totalHistoryBytes`. */
  evictedEvents: number;
}
