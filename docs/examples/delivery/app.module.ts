import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-sse-channel';
import { MatchesController } from './matches.controller.js';
import { MatchesService } from './matches.service.js';

@Module({
  imports: [
    SseModule.forRoot({
      // Sent once when a stream opens: a client whose connection drops reconnects 1 s later.
      retry: 1_000,
      // Each match keeps its last 50 lines for clients that come back (the default: 1000 events).
      channels: { 'matches/:id/live': { size: 50 } },
      // Every open stream gets this event just before the app shuts down (a deploy, Ctrl-C).
      events: { shutdown: 'sse-shutdown' },
    }),
  ],
  controllers: [MatchesController],
  providers: [MatchesService],
})
export class AppModule {}
