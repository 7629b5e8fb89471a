import type { SseMeterProvider } from '../interfaces/sse-metrics-options.interface.js';
import { importOptional } from '../util/import-optional.js';
import { METER_NAME } from './sse-metrics.js';

interface OpenTelemetryApi {
  metrics: { getMeterProvider(): SseMeterProvider };
  createNoopMeter(): object;
}

/** Why there is no global MeterProvider to record to. */
export type NoMeterProvider = 'not-installed' | 'no-sdk';

/**
 * The global `MeterProvider` of `@opentelemetry/api` (an optional peer
 * dependency), loaded lazily: never imported statically, so that the library
 * loads without it. Tells why there is none: the API is not installed, or no
 * SDK registered a provider (the API's own is a no-op: recording to it would
 * only cost time).
 */
export async function loadGlobalMeterProvider(): Promise<SseMeterProvider | NoMeterProvider> {
  const api = await importOptional<Partial<OpenTelemetryApi> & { default?: Partial<OpenTelemetryApi> }>('@opentelemetry/api');
  if (!api) {
    return 'not-installed';
  }
  const { metrics, createNoopMeter } = api.metrics ? api : (api.default ?? {});
  if (!metrics || !createNoopMeter) {
    return 'not-installed';
  }
  const provider = metrics.getMeterProvider();
  // (The API's no-op provider gives no-op meters; an SDK's gives its own.)
  const probe = provider.getMeter(METER_NAME) as object;
  return probe.constructor === createNoopMeter().constructor ? 'no-sdk' : provider;
}
