/**
 * Options of `SseBroadcaster.publish()`.
 *
 * @publicApi
 */
export interface SsePublishOptions {
  /** Event name for every client; without it each route's own event name applies. */
  event?: string;
  /**
   * Id of the event, instead of the channel's next one: printable ASCII,
   * unique within the channel. Replay finds it by exact match. With the
   * Redis transport it must be a Redis stream id (`<ms>-<seq>`) greater than
   * the channel's last one.
   */
  id?: string;
}
