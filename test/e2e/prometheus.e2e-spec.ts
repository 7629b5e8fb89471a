import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseBroadcaster, SseModule } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { MetricsController } from '../src/metrics.controller.js';
import { until } from '../src/until.js';

/** What Prometheus would scrape: the exporter's `/metrics` text, served on a loopback port of the test's own. */
async function scrapeEndpoint(exporter: PrometheusExporter): Promise<{ scrape(): Promise<string>; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    scrape: async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The sample lines of one metric family (`# HELP`/`# TYPE` left out), without the exporter's own scope label. */
const samples = (text: string, family: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${family}{`) || line.startsWith(`${family} `))
    .map((line) => line.replace(',otel_scope_name="nestjs-sse-channel"', ''));

describe.each(PLATFORMS)('a Prometheus scrape on %s (the SDK registered globally, metrics left out)', (platform) => {
  let t: TestApp;
  let exporter: PrometheusExporter;
  let endpoint: Awaited<ReturnType<typeof scrapeEndpoint>>;

  beforeAll(async () => {
    // As an application's tracing.ts does before NestFactory.create().
    exporter = new PrometheusExporter({ preventServerStart: true, withoutTargetInfo: true });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [MetricsController] });
    endpoint = await scrapeEndpoint(exporter);
  });
  afterAll(async () => {
    await t?.close();
    await endpoint?.close();
    metrics.disable();
  });

  it('shows open streams, events and bytes by route and channel template, and never a channel name', async () => {
    const broadcaster = t.app.get(SseBroadcaster);
    const open = (path: string) => SseTestStream.open(t.server, { path });
    const streams = await Promise.all([open('/rooms/1'), open('/rooms/1'), open('/rooms/2')]);
    await broadcaster.publish('rooms/1', { text: 'hi' });
    await broadcaster.publish('rooms/1', { text: 'typing' }, { event: 'typing' });
    await broadcaster.publish('rooms/2', { text: 'hello' });
    await Promise.all([streams[0].waitForEvents(2), streams[1].waitForEvents(2), streams[2].waitForEvents(1)]);
    await streams[2].close();
    await until(() => broadcaster.clientCount('rooms/2') === 0, 'the server to see the client go');

    const text = await endpoint.scrape();
    const rooms = 'http_route="/rooms/:id"';
    const template = 'sse_channel_template="rooms/:id"';
    expect(samples(text, 'sse_streams_active')).toEqual([`sse_streams_active{${rooms}} 2`]);
    expect(samples(text, 'sse_streams_opened_total')).toEqual([`sse_streams_opened_total{${rooms}} 3`]);
    expect(samples(text, 'sse_streams_closed_total')).toEqual([`sse_streams_closed_total{${rooms},sse_close_reason="client"} 1`]);
    expect(samples(text, 'sse_events_published_total').sort()).toEqual(
      [`sse_events_published_total{${template}} 2`, `sse_events_published_total{${template},sse_event_name="typing"} 1`].sort(),
    );
    expect(samples(text, 'sse_events_delivered_total')).toEqual([`sse_events_delivered_total{${template}} 5`]);
    const written = streams.reduce((total, stream) => total + Buffer.byteLength(stream.raw), 0);
    expect(samples(text, 'sse_streams_written_total')).toEqual([`sse_streams_written_total{${rooms}} ${written}`]);
    expect(samples(text, 'sse_events_delivery_duration_count')).toEqual([`sse_events_delivery_duration_count{${template}} 3`]);
    expect(text).toMatch(/^# TYPE sse_events_delivery_duration histogram$/m);
    // One series per route and template: no room's own name anywhere.
    expect(text).not.toMatch(/rooms\/1|rooms\/2/);
    await Promise.all(streams.slice(0, 2).map((stream) => stream.close()));
  });
});
