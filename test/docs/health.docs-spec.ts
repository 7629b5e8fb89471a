import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { AppModule } from '../../docs/examples/observability/app.module.js';
import { until } from '../src/until.js';

// docs/metrics-and-health.md's example app (docs/examples/observability/):
// GET /health answers 200 with the SSE indicator up, and counts the open streams.
describe.each(['express', 'fastify'] as const)('the health check of the guide on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = platform === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  const health = async () => {
    const response = await fetch(`${url}/health`);
    return { status: response.status, body: (await response.json()) as { status: string; details: Record<string, unknown> } };
  };

  it('is 200 and up in memory, as the guide shows it', async () => {
    const up = { status: 'up', transport: 'memory', streams: 0, channels: 0 };
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', info: { sse: up }, error: {}, details: { sse: up } } });
  });

  it('counts the streams open and the channels held', async () => {
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const paths = ['/rooms/1', '/rooms/1', '/rooms/2'];
    const responses = await Promise.all(paths.map((path, i) => fetch(`${url}${path}`, { signal: controllers[i].signal })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect((await health()).body.details).toEqual({ sse: { status: 'up', transport: 'memory', streams: 3, channels: 2 } });
    controllers.forEach((controller) => controller.abort());
    const broadcaster = app.get(SseBroadcaster);
    await until(() => broadcaster.totals().streams === 0, 'the server to see the clients go');
  });
});
