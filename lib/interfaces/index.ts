export * from './sse-route-options.interface.js';
export * from './sse-message.interface.js';
export * from './sse-reset-event.interface.js';
export type {
  SseChannelSettings,
  SseModuleAsyncOptions,
  SseModuleOptions,
  SseOptionsFactory,
} from './sse-module-options.interface.js';
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
