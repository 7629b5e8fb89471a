import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { JobsController } from './jobs.controller.js';
import { RoomsController } from './rooms.controller.js';
import type { User } from './user.guard.js';

@Module({
  imports: [
    SseModule.forRoot({
      // Who each stream belongs to, for publish(…, { to }): read after the guards ran.
      identities: { identify: (request: { user?: User }) => request.user?.name },
    }),
  ],
  controllers: [RoomsController, JobsController],
})
export class AppModule {}
