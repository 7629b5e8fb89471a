/**
 * The part of an OpenTelemetry `MeterProvider` the library uses (the SDK's
 * `MeterProvider` from `@opentelemetry/sdk-metrics` is one), typed here so
 * that the library's types do not need `@opentelemetry/api` installed.
 *
 * @publicApi
 */
export interface SseMeterProvider {
  getMeter(name: string, version?: string): SseMeter;
}

/** What the library asks of an OpenTelemetry `Meter`. @publicApi */
export interface SseMeter {
  createCounter(name: string, options?: SseMetricOptions): SseCounter;
  createUpDownCounter(name: string, options?: SseMetricOptions): SseCounter;
  createHistogram(name: string, options?: SseMetricOptions): SseHistogram;
  createObservableCounter(name: string, options?: SseMetricOptions): SseObservable;
}

/** @publicApi */
export interface SseMetricOptions {
  description?: string;
  unit?: string;
  /** `ValueType.INT` (0) or `ValueType.DOUBLE` (1). */
  valueType?: number;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** Bounded attributes: route and channel templates, event names, reasons. @publicApi */
export type SseMetricAttributes = Record<string, string>;

/** @publicApi */
export interface SseCounter {
  add(value: number, attributes?: SseMetricAttributes): void;
}

/** @publicApi */
export interface SseHistogram {
  record(value: number, attributes?: SseMetricAttributes): void;
}

/** @publicApi */
export interface SseObservable {
  addCallback(callback: (result: { observe(value: number, attributes?: SseMetricAttributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: SseMetricAttributes): void }) => void): void;
}

/**
 * The `metrics` option of `SseModule.forRoot()` as an object.
 *
 * @publicApi
 */
export interface SseMetricsOptions {
  /**
   * Where to record, instead of the global one that the OpenTelemetry SDK
   * registered with `@opentelemetry/api` (with it, the API need not be
   * installed): e.g. a `MeterProvider` of its own in a test.
   * @default the global MeterProvider of `@opentelemetry/api`
   */
  meterProvider?: SseMeterProvider;
}
