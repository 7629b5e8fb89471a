import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import { SseBroadcaster, SseChannel, channelName } from 'nestjs-sse-channel';
import { ChatMessage } from './chat-message.js';

@Controller('rooms')
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // In the document: GET /rooms/{id}, a 200 `text/event-stream` response of `chat` events
  // whose data is a ChatMessage (the `schema` option), and `id` as a path parameter.
  @ApiOperation({ summary: 'The messages of a room, as they are posted' })
  @ApiParam({ name: 'id', description: 'The room' })
  @SseChannel(':id', { event: 'chat', schema: ChatMessage })
  join(): void {}

  // An ordinary route: swagger documents it by itself (201, a ChatMessage body).
  @ApiOperation({ summary: 'Post a message to a room' })
  @Post(':id')
  async say(@Param('id') id: string, @Body() message: ChatMessage) {
    const eventId = await this.broadcaster.publish(channelName('rooms/:id', { id }), { user: message.user, text: message.text });
    return { id: eventId };
  }
}
