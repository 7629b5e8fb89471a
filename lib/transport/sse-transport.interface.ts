/**
 * One event as a transport carries it between instances: its id, assigned
 * once by the transport, and its data already serialized.
 *
 * @publicApi
 */
export interface SseTransportEvent {
  readonly id: string;
  /** The publisher's event name; without one each route's event name applies. */
  readonly event: string | undefined;
  /** The serialized data (the text after `data:`, line breaks included). */
  readonly data: string;
}

/**
 * One publish, validated and serialized, with the channel's history settings.
 *
 * @publicApi
 */
export interface SseTransportPublish {
  readonly channel: string;
  readonly event: string | undefined;
  readonly data: string;
  /** The caller's id, if any; otherwise the transport assigns the next one. */
  readonly id: string | undefined;
  /** Events the channel's history keeps (the `history` option, per channel). */
  readonly history: number;
  /** Milliseconds an idle channel's history is kept (`historyTtl`; 0 for good). */
  readonly historyTtl: number;
}

/**
 * What a read of a channel's shared history returns.
 *
 * @publicApi
 */
export interface SseTransportRead {
  /** The events after the requested id, oldest first. */
  readonly events: SseTransportEvent[];
  /** The newest id the channel ever gave out; `undefined` when it has no history at all. */
  readonly lastId: string | undefined;
  /** Events before this id were removed from the history: a client whose id is older has missed some. */
  readonly trimmedUpTo: string | undefined;
}

/**
 * The side of the library a transport talks to: the channels of this
 * instance.
 *
 * @publicApi
 */
export interface SseTransportHost {
  /** In-process delivery (the in-memory transport): the channel assigns the id and keeps the history. */
  publishLocally(channel: string, event: string | undefined, data: string, id: string | undefined): string;
  /** An event of a channel this instance subscribed to, from whichever instance published it. */
  deliver(channel: string, event: SseTransportEvent): void;
  /** The subscriptions were lost: events may be missed until `resume()`. */
  suspend(): void;
  /** The subscriptions are back: every channel reads what it missed from the shared history. */
  resume(): void;
}

/**
 * How a publish reaches the channels: in this process (the default,
 * {@link MemoryTransport}) or through a shared store to every instance of the
 * application ({@link RedisTransport}). A transport instance serves one
 * application at a time.
 *
 * A shared transport assigns ids itself, keeps each channel's history, tells
 * the host of every event of the channels it subscribed to — in the same
 * order on every instance — and reads the history for replay.
 *
 * @publicApi
 */
export interface SseTransport {
  /** `true` when ids, history and delivery stay in this process (nothing is shared). */
  readonly local: boolean;
  /** Called once when the application starts. */
  init(host: SseTransportHost): Promise<void> | void;
  /**
   * Publishes one event. May throw at once for input the transport cannot
   * take (then nothing was published); the result is the event's id.
   */
  publish(request: SseTransportPublish): string | Promise<string>;
  /** Starts delivering `channel`'s events; resolves with its newest id once subscribed. */
  subscribe(channel: string): Promise<string | undefined>;
  /** Stops delivering `channel`'s events. */
  unsubscribe(channel: string): void;
  /** Reads at most `count` events of `channel` after `afterId`. */
  read(channel: string, afterId: string, count: number): Promise<SseTransportRead>;
  /** The canonical form of an id of this transport, or `undefined` if it is not one. */
  parseId(id: string): string | undefined;
  /** Orders two canonical ids: negative, zero or positive. */
  compareIds(a: string, b: string): number;
  /** Called once when the application shuts down, after every stream has ended. */
  close(): Promise<void> | void;
}

/**
 * A publish or a read the transport could not carry out (e.g. Redis is
 * unreachable). Nothing was published.
 *
 * @publicApi
 */
export class SseTransportError extends Error {
  override readonly name = 'SseTransportError';
}
