import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, RequestMethod } from '@nestjs/common';
import { SseBroadcaster, SseChannel, channelName, type SseMessage } from 'nestjs-sse-channel';
import { concat, of } from 'rxjs';
import { LlmService } from './llm.service.js';

@Controller('answers')
export class AnswersController {
  constructor(
    private readonly broadcaster: SseBroadcaster,
    private readonly llm: LlmService,
  ) {}

  // POST /answers {"question":"…"}: starts a run and streams it in this response:
  // a `run` event {"id":"…"} first, then `token` events, then `sse-end`.
  @SseChannel({ method: RequestMethod.POST, event: 'token', from: 'start' })
  ask(@Body() body: { question?: unknown }) {
    if (typeof body?.question !== 'string' || body.question.trim() === '') {
      throw new BadRequestException('Send JSON {"question": "..."}.');
    }
    const id = randomUUID();
    const channel = channelName('answers/:id', { id });
    // A cached answer is a run too: all of it at once, then the end.
    const cached = this.llm.cached(body.question);
    const tokens$ = cached === undefined ? this.llm.tokens$(body.question) : of(cached);
    // The first event tells the client the run's id: what it resumes with if the connection drops.
    this.broadcaster.connect(channel, concat(of<SseMessage>({ event: 'run', data: { id } }), tokens$), {
      end: true, // the channel ends when the answer is complete
      cancelWhenIdle: 60_000, // nobody listening for a minute: stop generating
    });
    // from: 'start' above: this client gets the run from its first event, even
    // the events published before it joined (a cached run has ended by now).
    return this.broadcaster.channel(channel);
  }

  // GET /answers/<id>: the run from its first event, or after the client's Last-Event-ID.
  // 204 No Content for a client that has seen the end.
  @SseChannel(':id', { event: 'token', from: 'start' })
  resume(): void {}
}
