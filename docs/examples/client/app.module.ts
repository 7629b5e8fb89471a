import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { AuctionsController } from './auctions.controller.js';
import { Tokens, TokensController, type AuthedRequest } from './auth.js';

@Module({
  imports: [
    SseModule.forRoot({
      identities: {
        // Who a stream belongs to: the token's owner (the guard ran first).
        identify: (request: AuthedRequest) => request.user?.name,
        // When the token expires, the stream gets `sse-close` {"reason":"expired"} and ends.
        // SseClient then reconnects at once, with the headers its function gives now.
        expiresAt: (request: AuthedRequest) => request.user?.expiresAt,
      },
    }),
  ],
  controllers: [AuctionsController, TokensController],
  providers: [Tokens],
})
export class AppModule {}
