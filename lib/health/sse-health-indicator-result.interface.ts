/**
 * What `SseHealthIndicator.isHealthy()` reports under its key: the status
 * and a few facts, plain JSON. It has the shape `@nestjs/terminus` expects of
 * a health indicator's result.
 *
 * @publicApi
 */
export type SseHealthDetails = {
  /** `up` when the transport carries publishes and deliveries now (in memory: always). */
  status: 'up' | 'down';
  /** `memory`, or the transport's class name (`RedisTransport`). */
  transport: string;
  /** Streams open on this instance (`SseBroadcaster.totals().streams`). */
  streams: number;
  /** Channels this instance holds (`SseBroadcaster.totals().channels`). */
  channels: number;
  /** When it is down: what is wrong. */
  message?: string;
  /**
   * The transport's own facts; on Redis `commandConnection` and
   * `subscriptionConnection` (ioredis's status of each, `ready` when up) and
   * `subscribedChannels`.
   */
  [detail: string]: string | number | boolean | undefined;
};

/**
 * A health indicator result keyed by the name given to
 * `SseHealthIndicator.isHealthy()`, e.g. `{ sse: { status: 'up', … } }`.
 *
 * @publicApi
 */
export type SseHealthIndicatorResult<Key extends string = 'sse'> = { [K in Key]: SseHealthDetails };
