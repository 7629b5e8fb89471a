/**
 * Who an event is for, when not everyone: identities it goes `to`, or all
 * `except` them.
 *
 * @experimental
 */
export interface SseTransportAudience {
  readonly to?: readonly string[];
  readonly except?: readonly string[];
}

/**
 * One event as a transport carries it between instances: its id, assigned
 * once by the transport, and its data already serialized.
 *
 * @experimental
 */
export interface SseTransportEvent {
  readonly id: string;
  /** The publisher's event name; without one each route's event name applies. */
  readonly event: string | undefined;
  /** The serialized data (the text after `data:`, line breaks included). */
  readonly data: string;
  /** Who it is for, when not everyone. */
  readonly audience?: SseTransportAudience;
  /** Its position in one sequence across all channels (a transport with `readSince()`), and that sequence's epoch. */
  readonly seq?: number;
  readonly epoch?: string;
}

/**
 * What a read of a channel's shared history after a position of the sequence
 * across channels returns (`readSince()`).
 *
 * @experimental
 */
export interface SseTransportReadSince {
  /** The sequence's epoch now: a position of another epoch cannot be resumed. */
  readonly epoch: string;
  /** The sequence's newest position when read: every event of the channel up to it is in `events` or before the position asked for (unless `events` is a full page). */
  readonly current: number;
  /** The channel's events after the position, oldest first, at most `count`. */
  readonly events: SseTransportEvent[];
  /** Whether events after the position may be missing before the first one: `trimmed` (they fell out of the history), `unknown` (the history began after it). */
  readonly missing: 'trimmed' | 'unknown' | undefined;
}

/**
 * One publish, validated and serialized, with the channel's history settings.
 *
 * @experimental
 */
export interface SseTransportPublish {
  readonly channel: string;
  readonly event: string | undefined;
  readonly data: string;
  /** The caller's id, if any; otherwise the transport assigns the next one. */
  readonly id: string | undefined;
  /** Events the channel's history keeps (the `history` option, per channel). */
  readonly history: number;
  /** Milliseconds a channel without clients keeps its history (`history.ttl`; 0 for good); also the host's `historyTtl`. */
  readonly historyTtl: number;
  /** The end event's name (`endEvent`): once a channel's newest event is one, it takes no more. */
  readonly endEvent: string;
  /** Who it is for, when not everyone. */
  readonly audience?: SseTransportAudience;
}

/**
 * What a read of a channel's shared history returns.
 *
 * @experimental
 */
export interface SseTransportRead {
  /** The events after the requested id, oldest first. */
  readonly events: SseTransportEvent[];
  /** The newest id the channel ever gave out; `undefined` when it has no history at all. */
  readonly lastId: string | undefined;
  /** Events before this id were removed from the history: a client whose id is older has missed some. */
  readonly trimmedUpTo: string | undefined;
  /** The newest event of the history, if the transport tells. */
  readonly newest?: SseTransportEvent;
  /**
   * The oldest id of a history that lost none of its events (nothing trimmed
   * or deleted), if the transport tells: an id before it was never given out
   * by this history (e.g. it is from before the transport lost its data).
   */
  readonly firstId?: string;
  /**
   * Whether the id read after is one of the history's events, if the
   * transport tells: an id inside the history that is none of its events was
   * lost (e.g. by a failover), and so may be what came after it.
   */
  readonly knownId?: boolean;
}

/**
 * The side of the library a transport talks to: the channels of this
 * instance.
 *
 * @experimental
 */
export interface SseTransportHost {
  /** An event of a channel this instance subscribed to, from whichever instance published it. */
  deliver(channel: string, event: SseTransportEvent): void;
  /**
   * The subscriptions were lost: events may be missed until `resume()`. With
   * `channels`, only theirs (e.g. one shard of a cluster): the others go on.
   */
  suspend(channels?: readonly string[]): void;
  /** The subscriptions are back (with `channels`, theirs): each such channel reads what it missed from the shared history. */
  resume(channels?: readonly string[]): void;
  /** A control message from an instance (`sendControl`), e.g. to disconnect an identity's streams. */
  control(message: string): void;
  /** An identity of an instance that died left `channel` (it was its last instance): announce it. */
  presenceSwept(channel: string, identity: string): void;
  /** The transport's connection failed or was lost (counted in the `sse.transport.errors` metric). */
  connectionError?(error: unknown): void;
  /**
   * Milliseconds a channel without clients — on any instance: subscribed by
   * none — keeps its history (`history.ttl`); 0 keeps it for good. Counted
   * from the last unsubscribe (or, for a channel nobody subscribed to, its
   * first publish); publishes do not renew it, and a subscribe stops it.
   */
  readonly historyTtl?: number;
}

/**
 * A transport's state now, as `SseHealthIndicator` reports it: read
 * synchronously and cheaply (no round trip), so a health check may ask often.
 *
 * @experimental
 */
export interface SseTransportHealth {
  /** Whether the transport carries publishes and deliveries now. */
  readonly up: boolean;
  /** When it is down: what is wrong, in a sentence for the operator. */
  readonly message?: string;
  /** A few facts shown with the status, e.g. the state of each connection (`status` is reserved). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * How the channels of every instance of an application are shared
 * ({@link RedisTransport}); without one, channels live in this process. A
 * transport instance serves one application at a time.
 *
 * A transport assigns ids itself, keeps each channel's history, tells the
 * host of every event of the channels it subscribed to — in the same order
 * on every instance — and reads the history for replay. The interface is as
 * small as the library's shared feed needs and may still change.
 *
 * @experimental
 */
export interface SseTransport {
  /** Called once when the application starts. */
  init(host: SseTransportHost): Promise<void> | void;
  /**
   * Publishes one event. Throws at once for input the transport cannot take
   * (then nothing was published); resolves with the event's id.
   */
  publish(request: SseTransportPublish): Promise<string>;
  /**
   * Starts delivering `channel`'s events; resolves once subscribed with the
   * newest event of the channel's history then (`undefined`: none), whose
   * events the host will not get (they are past).
   */
  subscribe(channel: string): Promise<SseTransportEvent | undefined>;
  /** How many instances are subscribed to `channel` (have clients on it), where the transport can tell. */
  countSubscribers?(channel: string): Promise<number>;
  /** Sends a control message to every instance's host (`control()`), this one included. */
  sendControl?(message: string): Promise<void>;
  /** Presence across instances: `identity` has a stream on `channel` here now; true if its first anywhere. */
  presenceJoin?(channel: string, identity: string): Promise<boolean>;
  /** `identity` has no stream on `channel` here any more. */
  presenceLeave?(channel: string, identity: string): Promise<void>;
  /** `identity` has no stream on `channel` anywhere: true once (its leave is to be announced). */
  presenceGone?(channel: string, identity: string): Promise<boolean>;
  /** The identities with a stream on `channel` anywhere. */
  presenceList?(channel: string): Promise<string[]>;
  /** Stops delivering `channel`'s events. */
  unsubscribe(channel: string): void;
  /** Its state now, for health checks; a transport without it is reported up. */
  health?(): SseTransportHealth;
  /**
   * Reads at most `count` events of `channel` whose position in the sequence
   * across channels is after `seq` (`fromStart`: every event it keeps);
   * a transport without it cannot carry streams on many channels.
   */
  readSince?(channel: string, seq: number, count: number, fromStart: boolean): Promise<SseTransportReadSince>;
  /** Reads at most `count` events of `channel` after `afterId`. */
  read(channel: string, afterId: string, count: number): Promise<SseTransportRead>;
  /**
   * The canonical form of `id` as an id `channel` gave out, or `undefined`
   * if it is not one (e.g. an id of another channel): a client's
   * `Last-Event-ID`.
   */
  parseId(id: string, channel: string): string | undefined;
  /**
   * The canonical form of a caller's id for a publish to `channel` (the id
   * its event gets), or `undefined` if the transport refuses it; without
   * this method, `parseId`.
   */
  callerId?(id: string, channel: string): string | undefined;
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
