import { Controller, UseGuards } from '@nestjs/common';
import { SseChannels, channelName } from 'nestjs-sse-channel';
import { Memberships } from './memberships.service.js';
import { SessionGuard, User } from './session.guard.js';

@Controller('events')
@UseGuards(SessionGuard)
export class EventsController {
  constructor(private readonly memberships: Memberships) {}

  // GET /events: one stream with every channel returned here — "news" and the user's rooms.
  // The guard runs first; this handler decides what the user may read (a client never names a channel).
  @SseChannels()
  channels(@User() user: string): string[] {
    return ['news', ...this.memberships.roomsOf(user).map((id) => channelName('rooms/:id', { id }))];
  }
}
