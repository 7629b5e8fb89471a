import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { RoomsController } from './rooms.controller.js';

@Module({
  imports: [SseModule.forRoot()],
  controllers: [RoomsController],
})
export class AppModule {}
