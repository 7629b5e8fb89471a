import { Controller, Inject, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SseBroadcaster, SseChannel } from 'nestjs-sse-channel';
import { interval, map, type Subscription } from 'rxjs';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';

/**
 * The seed's ticker: a `message` event with a message and a timestamp every
 * second — one channel, however many clients.
 */
@Controller()
export class TickerController implements OnModuleInit, OnModuleDestroy {
  private ticking?: Subscription;

  constructor(
    private readonly broadcaster: SseBroadcaster,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  onModuleInit(): void {
    let count = 0;
    this.ticking = this.broadcaster.connect(
      'ticker',
      interval(this.options.tickMs).pipe(
        map(() => ({ message: `Tick #${++count} from the server`, timestamp: Date.now() })),
      ),
    );
  }

  onModuleDestroy(): void {
    this.ticking?.unsubscribe();
  }

  /** `GET /ticker` → `event: message` frames. */
  @SseChannel('ticker', { event: 'message', retry: 1000 })
  ticker(): void {}
}
