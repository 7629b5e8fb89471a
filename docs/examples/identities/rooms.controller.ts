import { Body, Controller, Get, Param, Post, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';
import { AuthGuard, type AuthedRequest } from './auth.guard.js';

@Controller('rooms')
@UseGuards(AuthGuard)
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // GET /rooms/42: the room's `chat` events, plus `sse-join` / `sse-leave` {"identity":"ada"}
  // when a user's first stream joins the room and their last one leaves it.
  @SseChannel(':id', { event: 'chat', presence: true })
  join(): void {}

  // GET /rooms/42/people: who is in the room now, e.g. ["ada","bob"].
  @Get(':id/people')
  people(@Param('id') id: string): Promise<string[]> {
    return this.broadcaster.identities(channelName('rooms/:id', { id }));
  }

  // POST /rooms/42 {"text":"hi"}: signed-in users only. Everyone in the room gets it but
  // the sender, whose page shows its own message at once.
  @Post(':id')
  async say(@Param('id') id: string, @Body() body: { text: string }, @Req() request: AuthedRequest) {
    if (!request.user) {
      throw new UnauthorizedException('Sign in to post.');
    }
    const from = request.user.name;
    const eventId = await this.broadcaster.publish(channelName('rooms/:id', { id }), { from, text: body.text }, { except: from });
    return { id: eventId };
  }
}
