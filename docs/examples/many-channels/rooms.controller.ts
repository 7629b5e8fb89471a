import { Body, Controller, Delete, ForbiddenException, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { SseBroadcaster, channelName } from 'nestjs-sse-channel';
import { Memberships } from './memberships.service.js';
import { SessionGuard, User } from './session.guard.js';

@Controller('rooms/:id')
@UseGuards(SessionGuard)
export class RoomsController {
  constructor(
    private readonly broadcaster: SseBroadcaster,
    private readonly memberships: Memberships,
  ) {}

  // POST /rooms/7/members: join room 7. Save it first (the handler of GET /events reads it on
  // every reconnect), then add "rooms/7" to the user's open streams, live, without a reconnect.
  @Post('members')
  async join(@User() user: string, @Param('id') id: string) {
    const channel = channelName('rooms/:id', { id });
    this.memberships.add(user, id);
    await this.broadcaster.subscribe(user, channel);
    return { channel };
  }

  // DELETE /rooms/7/members: leave room 7; the streams go on without it.
  @Delete('members')
  @HttpCode(204)
  async leave(@User() user: string, @Param('id') id: string) {
    const channel = channelName('rooms/:id', { id });
    this.memberships.remove(user, id);
    await this.broadcaster.unsubscribe(user, channel);
  }

  // POST /rooms/7/messages {"text":"hi"}: members only; every stream that carries "rooms/7" gets it.
  @Post('messages')
  async say(@User() user: string, @Param('id') id: string, @Body() body: { text: string }) {
    const channel = channelName('rooms/:id', { id });
    if (!this.memberships.has(user, id)) {
      throw new ForbiddenException(`Join the room ${id} first.`);
    }
    return { id: await this.broadcaster.publish(channel, { from: user, text: body.text }) };
  }
}
