export { SseBroadcaster } from './broadcaster/sse-broadcaster.service.js';
export { SseChannelHandle } from './broadcaster/sse-channel-handle.js';
export type { SsePublishOptions } from './broadcaster/sse-publish-options.interface.js';
export * from './decorators/index.js';
export * from './interfaces/index.js';
export type { ChannelStats as SseChannelStats } from './streaming/channel.js';
export { SseModule } from './sse.module.js';
export { SseEncodingError } from './wire/encoder.js';
export { isSseMessage } from './wire/message.js';
