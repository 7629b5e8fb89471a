// One instance with a presence route, for bench/presence.mjs:
//   node presence-server.mjs express|fastify on|off
// GET /lobby: the channel "lobby", every stream identified by its x-user header;
// with "on" the route announces presence (sse-join / sse-leave).
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseBroadcaster, SseChannel, SseModule } from 'nestjs-sse-channel';

const platform = process.argv[2] ?? 'express';
const presence = process.argv[3] === 'on';

class LobbyController {
  lobby() {}
}
Controller()(LobbyController);
const descriptor = Object.getOwnPropertyDescriptor(LobbyController.prototype, 'lobby');
SseChannel('lobby', { presence })(LobbyController.prototype, 'lobby', descriptor);
Object.defineProperty(LobbyController.prototype, 'lobby', descriptor);

class AppModule {}
const identify = (request) => {
  const user = (request.raw ?? request).headers['x-user'];
  return typeof user === 'string' ? user : undefined;
};
Module({
  imports: [SseModule.forRoot({ heartbeat: 0, history: { size: 1000 }, limits: { maxQueuedBytes: 0 }, identities: { identify, presenceLeaveDelay: 60_000 } })],
  controllers: [LobbyController],
})(AppModule);

const app = await NestFactory.create(AppModule, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
const broadcaster = app.get(SseBroadcaster);
process.on('message', async (message) => {
  if (message.cmd === 'clients') {
    process.send({ cmd: 'clients', clients: broadcaster.clientCount('lobby') });
  } else if (message.cmd === 'publish') {
    await broadcaster.publish('lobby', message.data);
    process.send({ cmd: 'published' });
  } else if (message.cmd === 'memory') {
    global.gc?.();
    process.send({ cmd: 'memory', rss: process.memoryUsage().rss });
  }
});
process.send({ cmd: 'ready', port: app.getHttpServer().address().port });
