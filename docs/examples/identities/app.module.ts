import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import type { AuthedRequest } from './auth.guard.js';
import { RoomsController } from './rooms.controller.js';
import { SessionController } from './session.controller.js';
import { Sessions } from './sessions.js';

@Module({
  imports: [
    SseModule.forRoot({
      identities: {
        // Who a stream belongs to. Called after the guards, so `request.user` is set.
        // `undefined`: an anonymous stream.
        identify: (request: AuthedRequest) => request.user?.name,
        // When its access ends: the stream gets `sse-close` {"reason":"expired"}, then ends.
        // `undefined` (anonymous): no expiry.
        expiresAt: (request: AuthedRequest) => request.user?.expiresAt,
        // One user's open streams on this instance; the 6th gets 429.
        maxClientsPerIdentity: 5,
      },
    }),
  ],
  controllers: [RoomsController, SessionController],
  providers: [Sessions],
})
export class AppModule {}
