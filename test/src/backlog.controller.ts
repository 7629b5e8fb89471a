import { Controller } from '@nestjs/common';
import { concat, map, of, timer } from 'rxjs';
import { SseChannel } from '../../lib/index.js';

export const MiB = 1024 * 1024;
/** `n` MiB of text that tells where it was cut if it arrives incomplete. */
export const bigText = (n: number, tag: string) => `${tag}:`.padEnd(n * MiB - 1, 'x') + '!';

/** Routes for the queue-bound suite: big events, bursts, stuck clients. */
@Controller()
export class BacklogController {
  @SseChannel('big/:topic')
  big(): void {}

  @SseChannel('big/:topic/tight', { channel: 'big/:topic', maxQueuedBytes: 64 * 1024 })
  tight(): void {}

  /** A per-client stream: one 3 MiB value, then small ones at once. */
  @SseChannel('own/big', { event: 'own' })
  ownBig() {
    return of(bigText(3, 'own'), 'a', 'b', bigText(1, 'one'), 'c');
  }

  /** A per-client stream: a 3 MiB value, then small ones in later turns of the event loop. */
  @SseChannel('own/spread', { event: 'own' })
  ownSpread() {
    return concat(of(bigText(3, 'spread')), timer(1).pipe(map(() => 'a')), timer(0).pipe(map(() => 'b')));
  }
}
