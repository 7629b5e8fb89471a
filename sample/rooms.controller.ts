import { BadRequestException, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { SseBroadcaster, SseChannel } from 'nestjs-sse-channel';

interface ChatMessage {
  user: string;
  text: string;
}

/**
 * The broadcast demo: a chat room per `:id`. Both stream routes share the
 * channel `rooms/<id>` under different event names; events carry channel
 * ids, so a client that reconnects gets what it missed from history.
 */
@Controller('rooms')
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  /** `GET /rooms/:id` → `event: chat` frames; replays missed ones after a reconnect. */
  @SseChannel('rooms/:id', { path: ':id', event: 'chat', retry: 500 })
  chat(): void {}

  /** The same channel as `event: notice` frames, e.g. for a notification badge. */
  @SseChannel('rooms/:id', { path: ':id/notifications', event: 'notice', retry: 500 })
  notifications(): void {}

  @Post(':id')
  async say(@Param('id') id: string, @Body() body: Partial<ChatMessage>): Promise<{ id: string }> {
    const user = typeof body?.user === 'string' ? body.user.trim().slice(0, 40) : '';
    const text = typeof body?.text === 'string' ? body.text.trim().slice(0, 500) : '';
    if (!user || !text) {
      throw new BadRequestException('Send JSON { "user": "...", "text": "..." } with both fields non-empty.');
    }
    return { id: await this.broadcaster.publish(`rooms/${id}`, { user, text, at: Date.now() }) };
  }

  /**
   * Ends every stream of the room from the server side — what a deploy or a
   * crashed proxy does. Browsers reconnect with Last-Event-ID and get the
   * messages they missed.
   */
  @Post(':id/drop')
  @HttpCode(204)
  drop(@Param('id') id: string): void {
    this.broadcaster.channel(`rooms/${id}`).close();
  }
}
