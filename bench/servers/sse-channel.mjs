// Our library, as a user runs it: @SseChannel() + SseBroadcaster.publish().
//   node sse-channel.mjs express|fastify [redis://127.0.0.1:<port> | cluster:<host:port>,…]
// With a Redis URL (or a Redis Cluster's nodes) the app is one instance of
// several sharing channels on Redis (RedisTransport, history kept there).
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { RedisTransport, SseBroadcaster, SseChannel, SseModule } from 'nestjs-sse-channel';
import { routeController } from './controller.mjs';
import { serve } from './protocol.mjs';

const platform = process.argv[2] ?? 'express';
const redisUrl = process.argv[3];

const FeedController = routeController('feed', () => undefined, SseChannel('feed'));
class AppModule {}
// In memory, history.size 0: the baselines keep none either. On Redis the Stream
// keeps 1 000 events, as a user who wants replay across instances would
// (which only makes the Redis run's comparison with memory harder).
// limits.maxQueuedBytes 0: the bench's client reads as fast as it can, and the
// baselines have no bound; SSE_BENCH_QUEUE_BOUND=default keeps the default bound.
const limits = process.env.SSE_BENCH_QUEUE_BOUND === 'default' ? {} : { limits: { maxQueuedBytes: 0 } };
// SSE_BENCH_IDENTIFY=1: every stream has an identity of its own (the client's port).
const identities = process.env.SSE_BENCH_IDENTIFY
  ? { identities: { identify: (request) => `client-${(request.raw ?? request).socket.remotePort}` } }
  : {};
const where = redisUrl?.startsWith('cluster:')
  ? { cluster: { nodes: redisUrl.slice('cluster:'.length).split(',').map((address) => ({ host: address.split(':')[0], port: Number(address.split(':')[1]) })) } }
  : { connection: redisUrl };
const options = redisUrl
  ? { heartbeat: 0, history: { size: 1000 }, ...limits, transport: new RedisTransport({ ...where, keyPrefix: 'sse-bench:' }) }
  : { heartbeat: 0, history: { size: 0 }, ...limits, ...identities };
Module({ imports: [SseModule.forRoot(options)], controllers: [FeedController] })(AppModule);

// SSE_BENCH_METRICS=1: an OpenTelemetry SDK registered first, as an operator
// runs it (a Prometheus exporter that keeps what is recorded until a scrape).
if (process.env.SSE_BENCH_METRICS) {
  const { metrics } = await import('@opentelemetry/api');
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }));
}

const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
  logger: false,
});
await app.listen(0, '127.0.0.1');
const broadcaster = app.get(SseBroadcaster);
serve(app.getHttpServer().address().port, (data) => broadcaster.publish('feed', data), () => broadcaster.clientCount('feed'));
