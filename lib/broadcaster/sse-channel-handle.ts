import type { Observable, Subscription } from 'rxjs';
import type { SseMessage } from '../interfaces/sse-message.interface.js';
import type { SsePublishOptions } from '../interfaces/sse-publish-options.interface.js';

/**
 * The operations of a broadcaster, bound to one channel. Returned by
 * `SseBroadcaster.channel(name)`; a handler may also return it to put the
 * client on that channel.
 *
 * @publicApi
 */
export class SseChannelHandle {
  constructor(
    /** The channel's name. */
    readonly name: string,
    private readonly broadcaster: {
      publish(channel: string, data: unknown, options?: SsePublishOptions): Promise<string>;
      connect<T>(channel: string, source$: Observable<T | SseMessage<T>>): Subscription;
      clientCount(channel: string): number;
      close(channel: string): void;
    },
  ) {}

  /**
   * Sends one event to every client of this channel; see
   * `SseBroadcaster.publish()`. @returns the event's id
   */
  publish(data: unknown, options?: SsePublishOptions): Promise<string> {
    return this.broadcaster.publish(this.name, data, options);
  }

  /** Turns an Observable into this channel's events, until unsubscribed or the app closes. */
  connect<T>(source$: Observable<T | SseMessage<T>>): Subscription {
    return this.broadcaster.connect(this.name, source$);
  }

  /** Number of clients connected to this channel (on this instance). */
  clientCount(): number {
    return this.broadcaster.clientCount(this.name);
  }

  /** Ends every client's stream of this channel (clients may reconnect). */
  close(): void {
    this.broadcaster.close(this.name);
  }
}
