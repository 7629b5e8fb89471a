export { SseBroadcaster } from './broadcaster/sse-broadcaster.service.js';
export { SseChannelHandle } from './broadcaster/sse-channel-handle.js';
export * from './decorators/index.js';
export * from './interfaces/index.js';
export type { ChannelStats as SseChannelStats } from './channel/channel.interfaces.js';
export type { SseTotals } from './broadcaster/sse-totals.interface.js';
export { SseModule } from './sse.module.js';
export { SseMcpEventStore } from './mcp/sse-mcp-event-store.js';
export type { SseMcpMessage, SseMcpReplayTarget, SseMcpSessionOptions } from './mcp/mcp-event-store.interface.js';
export { withSseItemSchemas, type SseOpenApiDocument } from './openapi/sse-item-schemas.js';
export { SseHealthIndicator } from './health/sse-health.indicator.js';
export type { SseHealthDetails, SseHealthIndicatorResult } from './health/sse-health-indicator-result.interface.js';
export { SseEncodingError } from './wire/encoder.js';
export { isSseMessage } from './wire/message.js';
export { channelName } from './routing/channel-name.js';
export { RedisTransport } from './transport/redis/redis.transport.js';
export type { RedisClientLike, RedisClusterConnection, RedisClusterLike, RedisTransportOptions } from './transport/redis/redis-transport-options.interface.js';
export { SseTransportError } from './interfaces/sse-transport.interface.js';
export type {
  SseTransport,
  SseTransportAudience,
  SseTransportEvent,
  SseTransportHealth,
  SseTransportHost,
  SseTransportPublish,
  SseTransportRead,
  SseTransportReadSince,
} from './interfaces/sse-transport.interface.js';
