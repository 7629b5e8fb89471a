// One app instance in its own process, on a shared Redis, with a presence
// route — for the test that kills it without shutting it down.
//   node presence-instance.mjs <redis url> <key prefix> <lease ms> [history ttl ms]
// stdout: "port <n>" once listening.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisTransport, SseChannel, SseModule } from '../../dist/index.js';
import { routeController } from '../../bench/servers/controller.mjs';

const [url, keyPrefix, lease, ttl] = process.argv.slice(2);
const LobbyController = routeController('lobby', () => undefined, SseChannel('lobby/:room', { presence: true }));
class AppModule {}
Module({
  imports: [
    SseModule.forRoot({
      heartbeat: 0,
      ...(ttl ? { history: { ttl: Number(ttl) } } : {}),
      identities: { identify: (request) => request.headers['x-user'] },
      transport: new RedisTransport({ connection: url, keyPrefix, presenceLease: Number(lease) }),
    }),
  ],
  controllers: [LobbyController],
})(AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
console.log(`port ${app.getHttpServer().address().port}`);
