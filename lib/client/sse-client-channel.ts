import { Listeners } from './listeners.js';
import type { SseEndEventData, SseEventHandler, SseEventMap, SseEventMeta } from './sse-client-options.interface.js';

/**
 * One channel of an `@SseChannels()` stream, from `client.channel(name)`.
 * Its plain events (`event: rooms/42`) are `message`: `on(handler)` or
 * `on('message', handler)`; its named events (`event: rooms/42#typing`) by
 * their name: `on('typing', handler)` — the library's ones too: `sse-reset`
 * (its events were lost: reload it), `sse-join` / `sse-leave` (presence),
 * `sse-end` (the channel ended: `done` resolves; the stream and the client
 * go on with the other channels).
 *
 * @publicApi
 */
export interface SseClientChannel<M extends SseEventMap = SseEventMap> {
  /** The channel's name. */
  readonly name: string;
  /**
   * Resolves with the channel's end event data when it ends, or with
   * `undefined` when the client closes first. Never rejects.
   */
  readonly done: Promise<SseEndEventData | undefined>;
  /** Listens to the channel's plain events; returns the function that stops it. */
  on(handler: SseEventHandler<M['message']>): () => void;
  /** Listens to one event of the channel (`'message'`: its plain events); returns the function that stops it. */
  on<K extends keyof M & string>(event: K, handler: SseEventHandler<M[K]>): () => void;
}

/** A channel view and what its client feeds it. */
export interface ChannelFeed {
  readonly view: SseClientChannel;
  /** An event of the channel: `event` is `message` or the name after `#`. */
  deliver(event: string, data: unknown, meta: SseEventMeta): void;
  /** The client closed. */
  closed(): void;
}

export function channelFeed(name: string, endEvent: string, thrown: (error: unknown, event: string) => void): ChannelFeed {
  const listeners = new Listeners(thrown);
  let settle!: (data: SseEndEventData | undefined) => void;
  const done = new Promise<SseEndEventData | undefined>((resolve) => (settle = resolve));
  const view: SseClientChannel = {
    name,
    done,
    on(eventOrHandler: string | SseEventHandler<unknown>, handler?: SseEventHandler<unknown>) {
      return typeof eventOrHandler === 'function' ? listeners.add('message', eventOrHandler) : listeners.add(eventOrHandler, handler!);
    },
  };
  return {
    view,
    deliver(event, data, meta) {
      listeners.emit(event, data, meta);
      if (event === endEvent) {
        settle(data as SseEndEventData);
      }
    },
    closed: () => settle(undefined),
  };
}
