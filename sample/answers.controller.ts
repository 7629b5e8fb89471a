import { randomBytes } from 'node:crypto';
import { BadRequestException, Body, ConflictException, Controller, HttpCode, Inject, Param, Post, RequestMethod } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { SseBroadcaster, SseChannel, channelName, type SseMessage } from 'nestjs-sse-channel';
import { concat, concatMap, delay, from, of, type Observable } from 'rxjs';
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
 * The LLM pattern (docs/runs.md): a run is a channel (`answers/<id>`) that
 * ends when the answer is complete. `POST /answers` starts one and streams it
 * in its own response (for `fetch` clients), its id first; `GET /answers/:id`
 * streams it from its first event, and resumes it with `Last-Event-ID` (for
 * `EventSource`).
 */
@Controller('answers')
export class AnswersController {
  constructor(
    private readonly broadcaster: SseBroadcaster,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  /**
   * Starts a run and streams it: an `event: run` frame with the run's id
   * (`{"id":"…"}`, the id to resume with, also when the server chose it), then
   * `event: token` frames, then `sse-end`.
   */
  @SseChannel({ method: RequestMethod.POST, event: 'token', from: 'start', schema: TOKEN_SCHEMA })
  @ApiBody({ type: Question })
  ask(@Body() body: { question?: unknown; id?: unknown }) {
    const id = typeof body?.id === 'string' && /^[a-z0-9-]{1,40}$/.test(body.id) ? body.id : randomBytes(6).toString('hex');
    if (typeof body?.question !== 'string' || body.question.trim() === '') {
      throw new BadRequestException('Send JSON { "question": "..." } (and, optionally, an "id" of a-z, 0-9 and "-").');
    }
    const channel = channelName('answers/:id', { id });
    const run$ = concat(of<SseMessage>({ event: 'run', data: { id } }), fakeModel(this.options.answerTokenMs));
    try {
      // The run outlives its client: it stops only when nobody has listened for a minute.
      this.broadcaster.connect(channel, run$, { end: true, cancelWhenIdle: 60_000 });
    } catch (error) {
      throw new ConflictException(`The run ${id} exists already: ${(error as Error).message}`);
    }
    // from: 'start': this client gets the run from its `run` event, published before it joined.
    return this.broadcaster.channel(channel);
  }

  /** `GET /answers/:id`: the run from its first event (or after `Last-Event-ID`); 204 for a client that has its end. */
  @SseChannel(':id', { event: 'token', from: 'start', retry: 500, schema: TOKEN_SCHEMA })
  answer(): void {}

  /** Ends every stream of the run from the server side — what a crashed proxy does. */
  @Post(':id/drop')
  @HttpCode(204)
  drop(@Param('id') id: string): void {
    this.broadcaster.close(channelName('answers/:id', { id }));
  }
}
