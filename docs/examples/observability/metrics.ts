// The OpenTelemetry SDK, registered before the app is created: main.ts imports this file first.
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

// Serves GET http://localhost:9464/metrics for Prometheus to scrape
// (the environment variables OTEL_EXPORTER_PROMETHEUS_PORT and _HOST move it).
export const exporter = new PrometheusExporter();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
