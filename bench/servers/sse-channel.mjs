// Our library, as a user runs it: @SseChannel() + SseBroadcaster.publish().
//   node sse-channel.mjs express|fastify
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseBroadcaster, SseChannel, SseModule } from 'nestjs-sse-channel';
import { routeController } from './controller.mjs';
import { serve } from './protocol.mjs';

const FeedController = routeController('feed', () => undefined, SseChannel('feed'));
class AppModule {}
// history 0: the baselines keep none either; maxQueuedBytes 0: the bench's
// client reads as fast as it can, and the baselines have no bound.
Module({ imports: [SseModule.forRoot({ heartbeat: 0, history: 0, maxQueuedBytes: 0 })], controllers: [FeedController] })(AppModule);

const platform = process.argv[2] ?? 'express';
const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
  logger: false,
});
await app.listen(0, '127.0.0.1');
const broadcaster = app.get(SseBroadcaster);
serve(app.getHttpServer().address().port, (data) => broadcaster.publish('feed', data), () => broadcaster.clientCount('feed'));
