/**
 * Options of `SseBroadcaster.connect()`.
 *
 * @publicApi
 */
export interface SseConnectOptions {
  /**
   * End the channel when the source completes (reason `complete`) or fails
   * (reason `error`, the error is logged): every client gets what was
   * published, then the `endEvent`, then the end of its response. A run (an
   * LLM answer) is such a channel.
   * @default false
   */
  end?: boolean;
  /**
   * Stop the source when the channel has had no client for this many ms —
   * from `connect()` until the first client arrives, and again from the last
   * one's departure (on Redis: no client on any instance) — so that an
   * abandoned generation stops costing; the channel then ends (reason
   * `ended`).
   */
  cancelWhenIdle?: number;
}
