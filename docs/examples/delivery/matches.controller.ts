import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { SseChannel } from 'nestjs-sse-channel';
import { MatchesService, type Line } from './matches.service.js';

@Controller('matches')
export class MatchesController {
  constructor(private readonly matches: MatchesService) {}

  // GET /matches/7/live: the channel "matches/7/live", as `line` events. A client that
  // comes back with Last-Event-ID first gets the lines it missed, then the live ones.
  @SseChannel(':id/live', { event: 'line' })
  live(): void {}

  // GET /matches/7: the whole commentary, for a client that got the reset event.
  @Get(':id')
  commentary(@Param('id') id: string): { lines: Line[] } {
    return { lines: this.matches.lines(id) };
  }

  // POST /matches/7 {"minute":23,"text":"Goal!"}: a new line for every client of the match.
  @Post(':id')
  async comment(@Param('id') id: string, @Body() body: { minute: number; text: string }) {
    return { id: await this.matches.add(id, body.minute, body.text) };
  }
}
