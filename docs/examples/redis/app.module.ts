import { Module } from '@nestjs/common';
import { RedisTransport, SseModule } from 'nestjs-sse-channel';
import { RoomsController } from './rooms.controller.js';

@Module({
  imports: [
    // forRootAsync: each app gets its own transport (and its own two Redis connections).
    SseModule.forRootAsync({
      useFactory: () => ({
        transport: new RedisTransport({ connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
      }),
    }),
  ],
  controllers: [RoomsController],
})
export class AppModule {}
