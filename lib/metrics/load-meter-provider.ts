import type { SseMeterProvider } from '../interfaces/sse-metrics-options.interface.js';

/** Where the API is imported from (a variable, so that neither TypeScript nor a bundler needs it installed). */
const OPENTELEMETRY_API = '@opentelemetry/api';

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
  let api: Partial<OpenTelemetryApi> & { default?: Partial<OpenTelemetryApi> };
  try {
    api = (await import(OPENTELEMETRY_API)) as typeof api;
  } catch (error) {
    const code = (error as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return 'not-installed';
    }
    throw error;
  }
  const { metrics, createNoopMeter } = api.metrics ? api : (api.default ?? {});
  if (!metrics || !createNoopMeter) {
    return 'not-installed';
  }
  const provider = metrics.getMeterProvider();
  // (The API's no-op provider gives no-op meters; an SDK's gives its own.)
  const probe = provider.getMeter('nestjs-sse-channel') as object;
  return probe.constructor === createNoopMeter().constructor ? 'no-sdk' : provider;
}
