import { TurnBatcher } from '../../util/turn-batcher.js';
import { SseTransportError } from '../sse-transport.interface.js';
import { PUBLISH_SCRIPT } from './redis-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';

/** Called once with the script's reply, or with why the publish failed. */
export type PublishSettle = (error: Error | null, reply?: unknown) => void;

interface QueuedPublish {
  readonly args: readonly (string | number)[];
  readonly settle: PublishSettle;
}

/**
 * Sends the publishes made within one turn of the event loop to Redis
 * together: one pipeline, so one write and one round trip instead of one per
 * event. The pipeline starts with SCRIPT LOAD, so the script is known when
 * its EVALSHAs run: a restarted Redis (its script cache empty) cannot fail
 * some of them and have them retried after later ones, out of order.
 */
export class PublishPipeline {
  private readonly batch = new TurnBatcher<QueuedPublish>((queue) => this.send(queue));

  constructor(private readonly client: () => RedisClientLike | undefined) {}

  /** Queues one run of the publish script (its key first in `args`). */
  push(args: readonly (string | number)[], settle: PublishSettle): void {
    this.batch.add({ args, settle });
  }

  private send(queue: QueuedPublish[]): void {
    const client = this.client();
    if (!client) {
      const error = new SseTransportError('RedisTransport: the application shut down before the event was sent to Redis.');
      queue.forEach((publish) => publish.settle(error));
      return;
    }
    const pipeline = client.pipeline();
    pipeline.call('SCRIPT', 'LOAD', PUBLISH_SCRIPT.source);
    for (const { args } of queue) {
      pipeline.call('EVALSHA', PUBLISH_SCRIPT.sha, 1, ...args);
    }
    pipeline.exec().then(
      (results) => {
        queue.forEach((publish, i) => {
          const result = results?.[i + 1];
          if (!result) {
            publish.settle(new SseTransportError('Redis returned no reply for the publish.'));
          } else {
            publish.settle(result[0], result[1]);
          }
        });
      },
      (error: Error) => queue.forEach((publish) => publish.settle(error)),
    );
  }
}
