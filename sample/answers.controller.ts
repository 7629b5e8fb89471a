import { randomBytes } from 'node:crypto';
import { BadRequestException, Body, Controller, HttpCode, Inject, Param, Post, RequestMethod } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { SseBroadcaster, SseChannel } from 'nestjs-sse-channel';
import { concatMap, delay, from, of, type Observable } from 'rxjs';
import { Question, TOKEN_SCHEMA } from './events.dto.js';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';

/** The canned answer of the fake model: what a real one would stream token by token. */
export const ANSWER =
  'Server-Sent Events keep one HTTP response open and write each token as a frame; ' +
  'when the connection drops, the browser reconnects with the id of the last token it saw, ' +
  'and the server replays exactly what came after it — so the answer goes on mid-sentence, with nothing missing.';

/** A stand-in for a model: the canned answer, one word every `tokenMs`. */
export function fakeModel(tokenMs: number): Observable<string> {
  const words = ANSWER.split(/(?<= )/);
  return from(words).pipe(concatMap((word) => of(word).pipe(delay(tokenMs))));
}

/**
 * The LLM pattern: a run is a channel (`answers/<id>`) that ends when the
 * answer is complete. `POST /answers` starts one and streams it in its own
 * response (for `fetch` clients); `GET /answers/:id` streams it from its first
 * token, and resumes it with `Last-Event-ID` (for `EventSource`).
 */
@Controller('answers')
export class AnswersController {
  constructor(
    private readonly broadcaster: SseBroadcaster,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  /** Starts a run and streams it: `event: token` frames, then `sse-end`. */
  @SseChannel({ method: RequestMethod.POST, event: 'token', schema: TOKEN_SCHEMA })
  @ApiBody({ type: Question })
  ask(@Body() body: { question?: unknown; id?: unknown }) {
    const id = typeof body?.id === 'string' && /^[a-z0-9-]{1,40}$/.test(body.id) ? body.id : randomBytes(6).toString('hex');
    if (typeof body?.question !== 'string' || body.question.trim() === '') {
      throw new BadRequestException('Send JSON { "question": "..." } (and, optionally, an "id" of a-z, 0-9 and "-").');
    }
    // The run outlives its client: it stops only when nobody has listened for a minute.
    this.broadcaster.connect(`answers/${id}`, fakeModel(this.options.answerTokenMs), { end: true, cancelWhenIdle: 60_000 });
    return this.broadcaster.channel(`answers/${id}`);
  }

  /** `GET /answers/:id`: the run from its first token (or from `Last-Event-ID`); 204 once it is over. */
  @SseChannel(':id', { event: 'token', from: 'start', retry: 500, schema: TOKEN_SCHEMA })
  answer(): void {}

  /** Ends every stream of the run from the server side — what a crashed proxy does. */
  @Post(':id/drop')
  @HttpCode(204)
  drop(@Param('id') id: string): void {
    this.broadcaster.close(`answers/${id}`);
  }
}
