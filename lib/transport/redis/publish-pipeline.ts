import * as messages from '../../sse.messages.js';
import { TurnBatcher } from '../../util/turn-batcher.js';
import { SseEncodingError } from '../../wire/encoder.js';
import { SseTransportError, type SseTransportPublish } from '../../interfaces/sse-transport.interface.js';
import { channelTag, parseCallerId, streamIdOf } from './channel-id.js';
import { PUBLISH_SCRIPT } from './redis-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';
import { watchMarkOf, type SequenceKey } from './sequence-keys.js';

/** Below this history bound the Stream is trimmed exactly; above, approximately (cheaper for Redis). */
const EXACT_TRIM_BELOW = 100;


/**
 * The publish script's arguments for `request` (its three keys first) and the
 * tag of the channel's ids (the script's reply is the Stream id, without
 * it); `lease`: what a subscribed instance's Stream expiry has on top of the
 * ttl.
 * Throws for a caller id the channel cannot take: not a Stream id above
 * `0-0`, or another channel's id.
 */
export function publishArgs(
  keyPrefix: string,
  sequence: SequenceKey,
  request: SseTransportPublish,
  lease: number,
): { args: (string | number)[]; tag: string } {
  const key = keyPrefix + request.channel;
  const tag = channelTag(key);
  let id = '*';
  if (request.id !== undefined) {
    const canonical = parseCallerId(request.id, tag);
    if (canonical === undefined) {
      throw new SseEncodingError(messages.notAStreamId(request.id, request.channel));
    }
    id = streamIdOf(canonical);
  }
  const { history, historyTtl } = request;
  const audience = request.audience ? JSON.stringify(request.audience) : '';
  const trim = history < EXACT_TRIM_BELOW ? '=' : '~';
  const args = [key, sequence.key, watchMarkOf(key), key, id, trim, history, historyTtl, request.event ?? '', request.data, request.endEvent, audience, lease, sequence.newEpoch()];
  return { args, tag };
}

/** What a publish the script refused or Redis failed rejects with. */
export function publishError(request: SseTransportPublish, error: Error): Error {
  if (error.message.startsWith('ENDED')) {
    return new SseEncodingError(messages.channelEnded(request.channel));
  }
  if (/equal or smaller than the target stream top item/i.test(error.message)) {
    return new SseEncodingError(messages.idNotIncreasing(request.id, request.channel));
  }
  return new SseTransportError(messages.redisPublishFailed(request.channel, error.message));
}

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

  /** Queues one run of the publish script (its three keys first in `args`). */
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
      pipeline.call('EVALSHA', PUBLISH_SCRIPT.sha, 3, ...args);
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
