import { Body, Controller, Param, Post } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';

@Controller('rooms')
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // GET /rooms/42: the channel "rooms/42", as `chat` events.
  @SseChannel(':id', { event: 'chat' })
  join(): void {}

  // POST /rooms/42 {"text":"hi"}: one `chat` event to every client of the room.
  @Post(':id')
  async say(@Param('id') id: string, @Body() body: { text: string }) {
    return { id: await this.broadcaster.publish(channelName('rooms/:id', { id }), { text: body.text }) };
  }
}
