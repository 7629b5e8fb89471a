export type { SseChannelName } from './channel-types.js';
export { SseClient } from './sse-client.js';
export type { SseClientChannel } from './sse-client-channel.js';
export { SseClientError, type SseClientErrorKind } from './sse-client-error.js';
export type {
  SseChannelLibraryEvents,
  SseChannelMap,
  SseClientOptions,
  SseClientState,
  SseCloseEventData,
  SseEndEventData,
  SseEventHandler,
  SseEventMap,
  SseEventMeta,
  SseLibraryEvents,
  SsePresenceEventData,
  SseResetEventData,
} from './sse-client-options.interface.js';
