// Our library with streams that carry many channels: one @SseChannels() route
// whose every stream carries the same CHANNELS channels (feed/0 … feed/9 by
// default), events published round-robin on them — so each event reaches every
// client, as on the single-channel server (sse-channel.mjs) it is compared with.
// It also has a @SseChannel('feed') route at /feed, so that one process can
// hold either kind of stream (publish() to an unwatched channel, compared in
// one process).
//   node sse-channels.mjs express|fastify [channels]
// The same options as sse-channel.mjs in memory: heartbeat 0, history.size 0,
// limits.maxQueuedBytes 0.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseBroadcaster, SseChannel, SseChannels, SseModule } from 'nestjs-sse-channel';
import { routeController } from './controller.mjs';
import { serve } from './protocol.mjs';

const platform = process.argv[2] ?? 'express';
const CHANNELS = Array.from({ length: Number(process.argv[3] ?? 10) }, (_, i) => `feed/${i}`);

const FeedsController = routeController('feeds', () => CHANNELS, SseChannels('feeds'));
const FeedController = routeController('feed', () => undefined, SseChannel('feed'));
class AppModule {}
Module({
  imports: [SseModule.forRoot({ heartbeat: 0, history: { size: 0 }, limits: { maxQueuedBytes: 0 } })],
  controllers: [FeedsController, FeedController],
})(AppModule);

const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
  logger: false,
});
await app.listen(0, '127.0.0.1');
const broadcaster = app.get(SseBroadcaster);
serve(
  app.getHttpServer().address().port,
  (data) => broadcaster.publish(CHANNELS[data.seq % CHANNELS.length], data),
  // Every /feeds stream carries every channel: the first one's count is theirs.
  () => broadcaster.clientCount(CHANNELS[0]) + broadcaster.clientCount('feed'),
  (channel, data) => broadcaster.publish(channel, data),
);
