import { Body, Controller, RequestMethod } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { SseBroadcaster, SseChannel } from '../../lib/index.js';

/** A run's token source, driven by the test; it counts its subscribers and teardowns. */
export class FakeGeneration {
  readonly tokens = new Subject<string>();
  subscribed = 0;
  tornDown = 0;
  readonly source$ = new Observable<{ data: string }>((subscriber) => {
    this.subscribed++;
    const inner = this.tokens.subscribe({
      next: (token) => subscriber.next({ data: token }),
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => {
      this.tornDown++;
      inner.unsubscribe();
    };
  });
}

/** The runs started so far, by id. */
export const generations = new Map<string, FakeGeneration>();

/**
 * The LLM pattern: POST /chat starts a run and streams it in its own response;
 * GET /runs/:id resumes it (from its start, or from Last-Event-ID).
 */
@Controller()
export class RunsController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  @SseChannel('chat', { method: RequestMethod.POST, event: 'token' })
  chat(@Body() body: { id: string; cancelWhenIdle?: number }) {
    const generation = new FakeGeneration();
    generations.set(body.id, generation);
    const channel = `runs/${body.id}`;
    this.broadcaster.connect(channel, generation.source$, { end: true, cancelWhenIdle: body.cancelWhenIdle ?? 60_000 });
    return this.broadcaster.channel(channel);
  }

  @SseChannel('runs/:id', { event: 'token', from: 'start', retry: 20 })
  run(): void {}
}
