import { Module } from '@nestjs/common';
import { RedisTransport, SseModule } from 'nestjs-sse-channel';
import { RoomsController } from '../redis/rooms.controller.js';
import { WorkerController } from './worker.controller.js';

@Module({
  imports: [
    // Each worker is an instance, with its own transport and its own two Redis connections.
    SseModule.forRootAsync({
      useFactory: () => ({
        transport: new RedisTransport({ connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
        // Per worker: 4 workers hold up to 4 × 15 000 streams. Keep it under a process's
        // open-file limit (`ulimit -n`), with room for Redis, logs and requests.
        limits: { maxClients: 15_000 },
      }),
    }),
  ],
  controllers: [RoomsController, WorkerController],
})
export class AppModule {}
