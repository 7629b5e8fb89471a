import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { SseBroadcaster, SseChannel } from 'nestjs-sse-channel';
import { ChatMessage, NewChatMessage } from './events.dto.js';
import { sampleIdentity } from './sample-identity.js';

const USER_QUERY = { name: 'user', type: String, required: false, description: 'Who you are (a real app reads its session instead)' };

/**
 * The broadcast demo: a chat room per `:id`. Both stream routes share the
 * channel `rooms/<id>` under different event names; events carry channel
 * ids, so a client that reconnects gets what it missed from history.
 */
@Controller('rooms')
export class RoomsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  /**
   * `GET /rooms/:id?user=…` → `event: chat` frames; replays missed ones after
   * a reconnect. The room announces who is in it (`sse-join` / `sse-leave`).
   */
  @SseChannel(':id', { event: 'chat', retry: 500, presence: true, schema: ChatMessage })
  @ApiQuery(USER_QUERY)
  chat(): void {}

  /** Who is in the room now (every instance, on Redis). */
  @Get(':id/people')
  people(@Param('id') id: string): Promise<string[]> {
    return this.broadcaster.identities(`rooms/${id}`);
  }

  /** The same channel as `event: notice` frames, e.g. for a notification badge. */
  @SseChannel(':id/notifications', { channel: 'rooms/:id', event: 'notice', retry: 500, schema: ChatMessage })
  notifications(): void {}

  /** Posts a message: everyone in the room gets it but the sender (`?user=`), whose page shows it at once. */
  @Post(':id')
  @ApiBody({ type: NewChatMessage })
  @ApiQuery({ ...USER_QUERY, description: 'The sender, whose own streams do not get the message back' })
  async say(@Param('id') id: string, @Body() body: Partial<NewChatMessage>, @Req() request: { query?: Record<string, unknown> }): Promise<{ id: string }> {
    const user = typeof body?.user === 'string' ? body.user.trim().slice(0, 40) : '';
    const text = typeof body?.text === 'string' ? body.text.trim().slice(0, 500) : '';
    if (!user || !text) {
      throw new BadRequestException('Send JSON { "user": "...", "text": "..." } with both fields non-empty.');
    }
    const sender = sampleIdentity(request);
    return { id: await this.broadcaster.publish(`rooms/${id}`, { user, text, at: Date.now() }, sender ? { except: sender } : undefined) };
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
