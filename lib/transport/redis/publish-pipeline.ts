import * as messages from '../../sse.messages.js';
import { TurnBatcher } from '../../util/turn-batcher.js';
import { SseEncodingError } from '../../wire/encoder.js';
import { SseTransportError, type SseTransportPublish } from '../../interfaces/sse-transport.interface.js';
import { channelTag, parseCallerId, streamIdOf } from './channel-id.js';
import { keySlot } from './cluster-slot.js';
import { PUBLISH_SCRIPT, sharded, type RedisScript } from './redis-scripts.js';
import type { RedisClientLike, RedisClusterLike } from './redis-transport-options.interface.js';
import type { SequenceKey } from './sequence-keys.js';

const SHARDED_PUBLISH_SCRIPT = sharded(PUBLISH_SCRIPT);

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
  sequence: SequenceKey,
  request: SseTransportPublish,
  lease: number,
): { args: (string | number)[]; tag: string } {
  const keys = sequence.scriptKeys(request.channel);
  const key = keys[0];
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
  const args = [...keys, key, id, trim, history, historyTtl, request.event ?? '', request.data, request.endEvent, audience, lease, sequence.newEpoch()];
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
 *
 * On a cluster a pipeline goes to one node: `groupOf` names the node of a
 * Stream's key, and each node gets its own pipeline (in the order of the
 * publishes, which is each channel's order).
 */
export class PublishPipeline {
  private readonly batch = new TurnBatcher<QueuedPublish>((queue) => this.send(queue));

  /** The pipeline for one server, or for a cluster (sharded Pub/Sub; one pipeline per node of a Stream key's slot, as ioredis knows it). */
  static of(client: () => RedisClientLike | undefined, cluster: boolean): PublishPipeline {
    if (!cluster) {
      return new PublishPipeline(client);
    }
    // (Before ioredis knows the slot map, e.g. publishes made as the app starts: one pipeline per slot.)
    const groupOf = (key: string) => {
      const slot = keySlot(key);
      return (client() as RedisClusterLike | undefined)?.slots[slot]?.join(';') ?? `slot ${slot}`;
    };
    return new PublishPipeline(client, SHARDED_PUBLISH_SCRIPT, groupOf);
  }

  constructor(
    private readonly client: () => RedisClientLike | undefined,
    private readonly code: RedisScript = PUBLISH_SCRIPT,
    private readonly groupOf?: (key: string) => string,
  ) {}

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
    if (!this.groupOf) {
      this.sendTo(client, queue);
      return;
    }
    const groups = new Map<string, QueuedPublish[]>();
    for (const publish of queue) {
      const group = this.groupOf(String(publish.args[0]));
      const list = groups.get(group);
      if (list) list.push(publish);
      else groups.set(group, [publish]);
    }
    for (const list of groups.values()) {
      this.sendTo(client, list);
    }
  }

  private sendTo(client: RedisClientLike, queue: QueuedPublish[]): void {
    const pipeline = client.pipeline();
    pipeline.call('SCRIPT', 'LOAD', this.code.source);
    for (const { args } of queue) {
      pipeline.call('EVALSHA', this.code.sha, 3, ...args);
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
