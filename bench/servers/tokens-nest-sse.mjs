// Nest's own @Sse() returning the same per-client Observable (Express).
import 'reflect-metadata';
import { Module, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { routeController } from './controller.mjs';
import { serveTokens, tokenArgs, tokenSource } from './token-source.mjs';

const { tokens, intervalMs } = tokenArgs(process.argv);
const TokensController = routeController('tokens', () => tokenSource(tokens, intervalMs), Sse('tokens'));
class AppModule {}
Module({ controllers: [TokensController] })(AppModule);
const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
serveTokens(app.getHttpServer().address().port);
