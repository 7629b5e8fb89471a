import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SseModule } from 'nestjs-sse-channel';
import { HealthController } from './health.controller.js';
import { RoomsController } from './rooms.controller.js';

@Module({
  imports: [
    TerminusModule,
    // metrics: true warns at start-up when no OpenTelemetry SDK was registered first
    // (left out, metrics are then off without a word).
    SseModule.forRoot({ metrics: true }),
  ],
  controllers: [RoomsController, HealthController],
})
export class AppModule {}
