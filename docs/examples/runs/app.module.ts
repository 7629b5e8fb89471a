import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { AnswersController } from './answers.controller.js';
import { LlmService } from './llm.service.js';

@Module({
  imports: [SseModule.forRoot()],
  controllers: [AnswersController],
  providers: [LlmService],
})
export class AppModule {}
