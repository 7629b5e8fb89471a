// Our library: an @SseChannel() route returning the same per-client Observable.
//   node tokens-sse-channel.mjs express|fastify <tokens> <intervalMs>
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseChannel, SseModule } from 'nestjs-sse-channel';
import { routeController } from './controller.mjs';
import { serveTokens, tokenArgs, tokenSource } from './token-source.mjs';

const platform = process.argv[2] ?? 'express';
const { tokens, intervalMs } = tokenArgs(process.argv);
const TokensController = routeController('tokens', () => tokenSource(tokens, intervalMs), SseChannel('tokens'));
class AppModule {}
// The defaults (queue bound on, heartbeat off as in the other rows).
Module({ imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [TokensController] })(AppModule);
const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
serveTokens(app.getHttpServer().address().port);
