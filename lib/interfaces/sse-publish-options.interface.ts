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
  /**
   * Only the streams of these identities get the event (never anonymous
   * streams) — e.g. a private line in a room. It keeps its place and id in the
   * channel, and replay applies the same audience.
   */
  to?: string | readonly string[];
  /**
   * Every stream but those of these identities gets the event (anonymous
   * streams too) — e.g. everyone but the sender.
   */
  except?: string | readonly string[];
}
