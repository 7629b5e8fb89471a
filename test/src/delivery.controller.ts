import { Controller, Param } from '@nestjs/common';
import { defer, interval, map, take } from 'rxjs';
import { LastEventId, SseChannel } from '../../lib/index.js';

/** Routes for the delivery suite: replay, heartbeat, slow clients. */
@Controller('live')
export class DeliveryController {
  @SseChannel(':topic', { event: 'update' })
  topic(): void {}

  @SseChannel(':topic/raw', { channel: 'live/:topic' })
  topicRaw(): void {}

  @SseChannel(':topic/quick', { channel: 'live/:topic', retry: 20 })
  quick(): void {}

  @SseChannel(':topic/beat', { channel: 'live/:topic', heartbeat: 15 })
  beat(): void {}

  @SseChannel(':topic/tight', { channel: 'live/:topic', maxQueuedBytes: 64 * 1024 })
  tight(): void {}

  /** A per-client stream that resumes by itself from the id the client last saw. */
  @SseChannel('counter/:to', { event: 'count' })
  counter(@Param('to') to: string, @LastEventId() lastEventId?: string) {
    return defer(() => {
      const from = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
      return interval(1).pipe(
        take(Math.max(0, Number(to) - from)),
        map((i) => ({ data: from + i, id: String(from + i) })),
      );
    });
  }
}
