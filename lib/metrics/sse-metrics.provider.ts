import { Logger, type Provider } from '@nestjs/common';
import { mcpStreamTemplate, type ResolvedSseModuleOptions } from '../options/module-options.js';
import { SSE_LOGGER_CONTEXT, SSE_METRICS, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { loadGlobalMeterProvider } from './load-meter-provider.js';
import { SseMetrics } from './sse-metrics.js';

/**
 * The instruments for the `metrics` option, or `null` when nothing would be
 * recorded: off, `@opentelemetry/api` not installed, or no SDK registered a
 * MeterProvider (left out: silently; `true`: an error, or a warning).
 */
export async function createSseMetrics(options: ResolvedSseModuleOptions): Promise<SseMetrics | null> {
  const { metrics } = options;
  if (metrics === false) {
    return null;
  }
  let provider = typeof metrics === 'object' ? metrics.meterProvider : undefined;
  if (!provider) {
    const global = await loadGlobalMeterProvider();
    if (global === 'not-installed') {
      if (metrics !== undefined) {
        throw new Error(messages.metricsWithoutApi());
      }
      return null;
    }
    if (global === 'no-sdk') {
      if (metrics !== undefined) {
        new Logger(SSE_LOGGER_CONTEXT).warn(messages.metricsWithoutSdk());
      }
      return null;
    }
    provider = global;
  }
  const created = new SseMetrics(provider);
  for (const name of [...Object.keys(options.channels), mcpStreamTemplate(options)]) {
    created.templates.add(name);
  }
  return created;
}

/** The module's provider of {@link SseMetrics} (or `null`). */
export const SSE_METRICS_PROVIDER: Provider = {
  provide: SSE_METRICS,
  inject: [SSE_MODULE_OPTIONS],
  useFactory: createSseMetrics,
};
