import { Body, Controller, Param, Post, Req, UseGuards } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';
import { UserGuard, type User } from './user.guard.js';

// Every route of the controller is guarded, the streams too: no user, no stream (401).
@Controller('rooms')
@UseGuards(UserGuard)
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // GET /rooms/42: a channel route. The client joins the channel "rooms/42" (the route's
  // full path); what is published there reaches it as `chat` events.
  @SseChannel(':id', { event: 'chat' })
  room(): void {}

  // GET /rooms/42/notifications: a second route on the same channel. The same events,
  // with the same ids, named `notice` here.
  @SseChannel(':id/notifications', { channel: 'rooms/:id', event: 'notice' })
  notifications(): void {}

  // POST /rooms/42 {"text":"hi"}: one event to every client of "rooms/42", on both routes.
  @Post(':id')
  async say(@Param('id') id: string, @Body() body: { text: string }, @Req() request: { user: User }) {
    const message = { from: request.user.name, text: body.text };
    return { id: await this.broadcaster.publish(channelName('rooms/:id', { id }), message) };
  }

  // POST /rooms/42/whisper {"to":"bob","text":"psst"}: only bob's streams of the room get it,
  // as a `whisper` event on both routes.
  @Post(':id/whisper')
  async whisper(@Param('id') id: string, @Body() body: { to: string; text: string }, @Req() request: { user: User }) {
    const message = { from: request.user.name, text: body.text };
    const options = { to: body.to, event: 'whisper' };
    return { id: await this.broadcaster.publish(channelName('rooms/:id', { id }), message, options) };
  }
}
