import { Body, Controller, Param, Post } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';

@Controller('rooms')
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // GET /rooms/42: an event stream of the channel "rooms/42" (the route's path), as `chat` events.
  @SseChannel(':id', { event: 'chat' })
  join(): void {}

  // POST /rooms/42 {"text":"hi"}: one event to every client of "rooms/42", on every route that streams it.
  @Post(':id')
  async say(@Param('id') id: string, @Body() body: { text: string }) {
    // channelName() keeps the param inside its channel: "1/private" is a 400, not the channel "rooms/1/private".
    const eventId = await this.broadcaster.publish(channelName('rooms/:id', { id }), { text: body.text });
    return { id: eventId };
  }
}
