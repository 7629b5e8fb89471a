import { Logger } from '@nestjs/common';
import { Subscription, type Observable } from 'rxjs';
import type { SseMessage } from '../interfaces/sse-message.interface.js';
import { SSE_LOGGER_CONTEXT } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import type { ChannelRegistry } from '../registry/channel-registry.js';
import { resolveConnectOptions } from '../options/broadcaster-options.js';
import { SseEncodingError } from '../wire/encoder.js';
import { messageFields, messageId } from '../wire/message.js';
import type { SseConnectOptions } from '../interfaces/sse-connect-options.interface.js';

/** How a source publishes one value, and how a channel is ended. */
export interface ChannelPublisher {
  publish(channel: string, data: unknown, options?: { event?: string; id?: string }): Promise<string>;
  endChannel(channel: string, reason: 'complete' | 'error' | 'ended'): Promise<string | undefined>;
}

/**
 * The Observables `connect()`ed to channels: each value published, the
 * channel ended when a run's source completes or fails, the source stopped
 * when its channel stays without clients (`cancelWhenIdle`), ended, or the
 * application shuts down.
 */
export class ChannelSources {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);
  private readonly sources = new Map<string, Set<Subscription>>();

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly publisher: ChannelPublisher,
  ) {}

  connect<T>(channel: string, source$: Observable<T | SseMessage<T>>, options: SseConnectOptions = {}): Subscription {
    const { end, cancelWhenIdle } = resolveConnectOptions(options);
    if (this.registry.get(channel)?.endId !== undefined) {
      throw new SseEncodingError(messages.channelEnded(channel));
    }
    const skipped = (error: unknown) =>
      this.logger.error(`connect(${messages.quote(channel)}): value skipped. ${messages.errorText(error)}`);
    // Made first: a source that completes (or fails) while it is being
    // subscribed to — of(value) — ends a subscription that exists already.
    const subscription = new Subscription();
    this.track(channel, subscription);
    if (cancelWhenIdle !== undefined) {
      subscription.add(
        this.registry.watchIdle(channel, cancelWhenIdle, () => {
          subscription.unsubscribe();
          this.end(channel, 'ended');
        }),
      );
    }
    const inner = source$.subscribe({
      next: (value) => {
        try {
          this.publishValue(channel, value).catch(skipped);
        } catch (error) {
          skipped(error);
        }
      },
      error: (error: unknown) => {
        this.logger.error(
          `connect(${messages.quote(channel)}): the source Observable failed and stopped feeding the channel${end ? ', which ends' : ''}.`,
          error instanceof Error ? error.stack : String(error),
        );
        subscription.unsubscribe();
        if (end) {
          this.end(channel, 'error');
        }
      },
      complete: () => {
        subscription.unsubscribe();
        if (end) {
          this.end(channel, 'complete');
        }
      },
    });
    subscription.add(inner);
    return subscription;
  }

  /** Ends a run's channel; a failure (the transport unreachable) is logged. */
  private end(channel: string, reason: 'complete' | 'error' | 'ended'): void {
    this.publisher.endChannel(channel, reason).catch((error: unknown) =>
      this.logger.error(`connect(${messages.quote(channel)}): could not end the channel (${reason}): ${messages.errorText(error)}`),
    );
  }

  /** Stops the sources of `channel` (it ends). */
  stop(channel: string): void {
    for (const subscription of [...(this.sources.get(channel) ?? [])]) {
      subscription.unsubscribe();
    }
  }

  /** Stops every source (the application shuts down). */
  stopAll(): void {
    for (const channel of [...this.sources.keys()]) {
      this.stop(channel);
    }
  }

  private publishValue(channel: string, value: unknown): Promise<string> {
    const message = messageFields(value);
    if (!message) {
      return this.publisher.publish(channel, value);
    }
    if (message.data === undefined) {
      throw new SseEncodingError(messages.channelMessageWithoutData(channel));
    }
    const id = message.id === undefined ? undefined : messageId(message.id);
    return this.publisher.publish(channel, message.data, { event: message.event ?? message.type, id });
  }

  private track(channel: string, subscription: Subscription): void {
    let set = this.sources.get(channel);
    if (!set) {
      set = new Set();
      this.sources.set(channel, set);
    }
    set.add(subscription);
    subscription.add(() => {
      set.delete(subscription);
      if (set.size === 0 && this.sources.get(channel) === set) {
        this.sources.delete(channel);
      }
    });
  }
}
