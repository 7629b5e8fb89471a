import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { EventsController } from './events.controller.js';
import { Memberships } from './memberships.service.js';
import { RoomsController } from './rooms.controller.js';
import type { SignedIn } from './session.guard.js';

@Module({
  imports: [
    SseModule.forRoot({
      // Who a stream belongs to (after the guards): what subscribe(user, channel) finds.
      identities: { identify: (request: Partial<SignedIn>) => request.user },
    }),
  ],
  controllers: [EventsController, RoomsController],
  providers: [Memberships],
})
export class AppModule {}
