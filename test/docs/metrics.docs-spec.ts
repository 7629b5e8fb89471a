import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { metrics } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { AppModule } from '../../docs/examples/observability/app.module.js';
import { until } from '../src/until.js';

/** A loopback port nobody listens on now, for the exporter's own server. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The value of one Prometheus series: the sample line of `family` whose labels are exactly `labels` (the exporter's scope label aside). */
function value(text: string, family: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, v]) => `${key}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== family) continue;
    const got = match[2]
      .split(/,(?=\w+=")/)
      .filter((pair) => !pair.startsWith('otel_scope_'))
      .sort()
      .join(',');
    if (got === wanted) return Number(match[3]);
  }
  return undefined;
}

// docs/metrics-and-health.md's example app (docs/examples/observability/) with
// its metrics.ts loaded first, as its main.ts does: the Prometheus exporter's
// own endpoint, scraped over HTTP, counts a stream and a publish, by route and
// channel template.
describe('the metrics guide', () => {
  let exporter: PrometheusExporter;
  let scrapeUrl: string;

  beforeAll(async () => {
    // The exporter's port and host from the environment, as the guide says (not 9464: tests run side by side).
    process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
    process.env.OTEL_EXPORTER_PROMETHEUS_PORT = String(await freePort());
    ({ exporter } = await import('../../docs/examples/observability/metrics.js'));
    await exporter.startServer(); // (the exporter started it already: this waits for it to listen)
    scrapeUrl = `http://127.0.0.1:${process.env.OTEL_EXPORTER_PROMETHEUS_PORT}/metrics`;
  });
  afterAll(async () => {
    await exporter?.shutdown();
    metrics.disable();
  });

  const scrape = async () => {
    const response = await fetch(scrapeUrl);
    expect(response.status).toBe(200);
    return response.text();
  };

  describe.each(['express', 'fastify'] as const)('on %s', (platform) => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
      app.enableShutdownHooks();
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    afterAll(() => app?.close());

    it('a stream and a publish show in the scrape by route and channel template, never by channel name', async () => {
      const route = { http_route: '/rooms/:id' };
      const template = { sse_channel_template: 'rooms/:id' };
      const before = await scrape();
      const count = (text: string, family: string, labels: Record<string, string>) => value(text, family, labels) ?? 0;

      const controller = new AbortController();
      const stream = await fetch(`${url}/rooms/7`, { signal: controller.signal });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      const posted = await fetch(`${url}/rooms/7`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
      expect(posted.status).toBe(201);
      let text = '';
      while (!text.includes('\n\n')) {
        text += new TextDecoder().decode((await reader.read()).value);
      }
      expect(text).toContain('data: {"text":"hi"}');

      const open = await scrape();
      // Counted as they happen, these add up over the two apps that share the SDK in this file: compare with before.
      expect(value(open, 'sse_streams_active', route)).toBe(1);
      expect(count(open, 'sse_streams_opened_total', route) - count(before, 'sse_streams_opened_total', route)).toBe(1);
      expect(count(open, 'sse_events_delivery_duration_count', template) - count(before, 'sse_events_delivery_duration_count', template)).toBe(1);
      // Summed by the app and read at each scrape, these are this app's own totals.
      expect(value(open, 'sse_events_published_total', template)).toBe(1);
      expect(value(open, 'sse_events_delivered_total', template)).toBe(1);
      expect(value(open, 'sse_streams_written_total', route)).toBe(Buffer.byteLength(text));
      // One series per route and template: the room's own name is no label.
      expect(open).not.toContain('rooms/7');

      controller.abort();
      const broadcaster = app.get(SseBroadcaster);
      await until(() => broadcaster.clientCount('rooms/7') === 0, 'the server to see the client go');
      const closed = await scrape();
      expect(value(closed, 'sse_streams_active', route)).toBe(0);
      const client = { ...route, sse_close_reason: 'client' };
      expect(count(closed, 'sse_streams_closed_total', client) - count(before, 'sse_streams_closed_total', client)).toBe(1);
    });
  });
});
