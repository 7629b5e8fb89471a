import { randomBytes } from 'node:crypto';
import { Controller, Inject, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SseBroadcaster, SseChannel } from 'nestjs-sse-channel';
import { interval, map, type Subscription } from 'rxjs';
import { Tick } from './events.dto.js';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';

/**
 * The seed's ticker: a `message` event with a message and a timestamp every
 * second — one channel, however many clients (and, on Redis, instances).
 */
@Controller()
export class TickerController implements OnModuleInit, OnModuleDestroy {
  private ticking?: Subscription;
  /** On Redis every instance ticks into the one channel: each tick says where it comes from. */
  private readonly source: string;

  constructor(
    private readonly broadcaster: SseBroadcaster,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {
    this.source = options.redisUrl ? `instance ${randomBytes(2).toString('hex')}` : 'the server';
  }


  onModuleInit(): void {
    let count = 0;
    this.ticking = this.broadcaster.connect(
      'ticker',
      interval(this.options.tickMs).pipe(
        map(() => ({ message: `Tick #${++count} from ${this.source}`, timestamp: Date.now() })),
      ),
    );
  }

  onModuleDestroy(): void {
    this.ticking?.unsubscribe();
  }

  /** `GET /ticker` → `event: message` frames. */
  @SseChannel('ticker', { event: 'message', retry: 1000, schema: Tick })
  ticker(): void {}
}
