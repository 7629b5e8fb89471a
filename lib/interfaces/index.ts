export * from './sse-route-options.interface.js';
export * from './sse-message.interface.js';
export * from './sse-reset-event.interface.js';
export type {
  SseDeprecatedModuleOptions,
  SseModuleAsyncOptions,
  SseModuleOptions,
  SseModuleOptionsWithoutGlobal,
  SseOptionsFactory,
} from './sse-module-options.interface.js';
export type {
  SseChannelSettings,
  SseEventNames,
  SseHistoryOptions,
  SseIdentityOptions,
  SseLimitsOptions,
  SseMcpOptions,
} from './sse-option-groups.interface.js';
export type { SsePublishOptions } from './sse-publish-options.interface.js';
export type { SseConnectOptions } from './sse-connect-options.interface.js';
export type {
  SseCounter,
  SseHistogram,
  SseMeter,
  SseMeterProvider,
  SseMetricAttributes,
  SseMetricOptions,
  SseMetricsOptions,
  SseObservable,
} from './sse-metrics-options.interface.js';
