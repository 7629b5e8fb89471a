import type { ChannelEventsOf, SseChannelName } from './channel-types.js';
import { Listeners } from './listeners.js';
import { ReconnectingStream, type ClientStream, type Final, type StreamOwner } from './reconnecting-stream.js';
import { channelFeed, type ChannelFeed, type SseClientChannel } from './sse-client-channel.js';
import { SseClientError } from './sse-client-error.js';
import type {
  SseChannelMap,
  SseClientOptions,
  SseClientState,
  SseEndEventData,
  SseEventHandler,
  SseEventMap,
  SseEventMeta,
  SseLibraryEvents,
} from './sse-client-options.interface.js';
import { resolveUrl } from './sse-client-request.js';
import { tabLocks, TabShare } from './tab-share.js';

/** The events `on()` knows: the route's, and the library's where the route does not name them itself. */
type Known<E extends SseEventMap> = E & Omit<SseLibraryEvents, keyof E>;

/**
 * A typed client for the streams of `nestjs-sse-channel`, for browsers and
 * Node ≥ 20, on `fetch` and `ReadableStream`. It sends headers (asked again
 * before every reconnect) and a body; resumes from the last id
 * (`Last-Event-ID`) on every reconnect; honors the server's `retry:`; backs
 * off with jitter after failures; drops a stalled connection
 * (`stallTimeout`) and a line or event over `maxEventBytes`; and knows the
 * library's protocol:
 *
 * - `204` → `closed`, `done` resolves;
 * - `401`, `403`, `404` (any 4xx but 408 and 429) → `closed`, `done` rejects
 *   with an {@link SseClientError} carrying the status and the JSON body;
 * - `429`, `503` (and 408, 5xx) → another attempt after `Retry-After` (else
 *   after a backoff);
 * - the end event (`sse-end`) → `closed`, `done` resolves with its data;
 * - the close event (`sse-close`): `expired` → reconnects at once with fresh
 *   headers; `revoked` → `closed`, `done` rejects.
 *
 * On an `@SseChannels()` stream, {@link channel} gives each channel's events.
 * With `share: 'tabs'`, the tabs of a browser share one connection.
 * Cross-origin, the server's CORS must allow the `Last-Event-ID` header (and
 * the headers you send), and `credentials: 'include'` for cookies.
 *
 * @example
 * const client = new SseClient<{ chat: ChatMessage }>('/rooms/42', {
 *   headers: async () => ({ Authorization: `Bearer ${await auth.freshToken()}` }),
 * });
 * const off = client.on('chat', (data, meta) => render(data, meta.id));
 * await client.done;
 *
 * @publicApi
 */
export class SseClient<E extends SseEventMap = SseEventMap, C extends SseChannelMap = SseChannelMap> {
  /**
   * Settles once the client is closed for good: resolves with the end
   * event's data (`undefined` after a `204` or `close()`); rejects with an
   * {@link SseClientError} of kind `refused`, `revoked` or `protocol`. A
   * rejection nobody awaits is not reported as unhandled.
   */
  readonly done: Promise<SseEndEventData | undefined>;
  private current: SseClientState = 'connecting';
  private settle!: { resolve: (data: SseEndEventData | undefined) => void; reject: (error: SseClientError) => void };
  private readonly stream: ClientStream;
  private readonly events: Listeners;
  private readonly errors = new Set<(error: SseClientError) => void>();
  private readonly states = new Set<(state: SseClientState) => void>();
  private readonly channels = new Map<string, ChannelFeed>();
  private readonly endEvent: string;

  /**
   * Starts connecting at once. `url` is resolved against the page in a
   * browser; in Node it must be absolute (a `TypeError` otherwise).
   */
  constructor(url: string | URL, options: SseClientOptions = {}) {
    this.endEvent = options.events?.end ?? 'sse-end';
    this.events = new Listeners((error, event) => this.thrown(error, event));
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
    const owner: StreamOwner = {
      state: (state) => this.setState(state),
      event: (event, data, meta) => this.deliver(event, data, meta),
      report: (error) => this.report(error),
      finished: (final) => this.finish(final),
    };
    const locks = options.share === 'tabs' ? tabLocks() : undefined;
    this.stream = locks ? new TabShare(resolveUrl(url), options, owner, locks) : new ReconnectingStream(resolveUrl(url), options, owner);
    this.stream.start();
  }

  /** `'connecting'` (also while waiting to reconnect), `'open'` (reading a 200 event stream) or `'closed'` (for good). */
  get state(): SseClientState {
    return this.current;
  }

  /** The id the next reconnect sends as `Last-Event-ID` (`undefined`: none yet, or the server reset it with an empty `id:`). */
  get lastEventId(): string | undefined {
    return this.stream.id;
  }

  /**
   * Listens to an event (`'message'`: events without a name), its data
   * parsed per `options.parse` (JSON by default). Returns the function that
   * stops listening.
   */
  on<K extends keyof Known<E> & string>(event: K, handler: SseEventHandler<Known<E>[K]>): () => void {
    return this.events.add(event, handler as SseEventHandler<never>);
  }

  /**
   * Listens to what goes wrong: an {@link SseClientError} with its `kind`,
   * and `retryIn` (ms) when another attempt follows. Without any error
   * listener, what an event handler throws is rethrown asynchronously.
   * Returns the function that stops listening.
   */
  onError(listener: (error: SseClientError) => void): () => void {
    this.errors.add(listener);
    return () => this.errors.delete(listener);
  }

  /** Listens to changes of {@link state}; returns the function that stops listening. */
  onState(listener: (state: SseClientState) => void): () => void {
    this.states.add(listener);
    return () => this.states.delete(listener);
  }

  /**
   * One channel of an `@SseChannels()` stream (the same object for the same
   * name), typed by the client's map of channel templates `C`: see
   * {@link SseClientChannel}. A channel's end does not close the client.
   */
  channel<N extends SseChannelName<keyof C & string>>(name: N): SseClientChannel<ChannelEventsOf<C, N>> {
    let feed = this.channels.get(name);
    if (!feed) {
      feed = channelFeed(name, this.endEvent, (error, event) => this.thrown(error, `${name}#${event}`));
      this.channels.set(name, feed);
      if (this.current === 'closed') {
        feed.closed();
      }
    }
    return feed.view as SseClientChannel<ChannelEventsOf<C, N>>;
  }

  /** Reconnects now, with fresh headers and the last id (e.g. after a login); nothing once closed. */
  reconnect(): void {
    if (this.current !== 'closed') {
      this.stream.reconnect();
    }
  }

  /** Closes the connection for good; `done` resolves (with `undefined`) unless it had settled. */
  close(): void {
    if (this.current !== 'closed') {
      this.stream.close();
      this.finish({ then: 'end' });
    }
  }

  private deliver(event: string, data: unknown, meta: SseEventMeta): void {
    this.events.emit(event, data, meta);
    if (this.channels.size === 0) {
      return;
    }
    // `rooms/42` → the plain events of channel rooms/42; `rooms/42#typing` → its `typing`
    // (a `#` in a channel's name: the longest channel listened to wins).
    let feed = this.channels.get(event);
    let name = 'message';
    for (let at = event.lastIndexOf('#'); !feed && at > 0; at = event.lastIndexOf('#', at - 1)) {
      feed = this.channels.get(event.slice(0, at));
      name = event.slice(at + 1);
    }
    feed?.deliver(name, data, { ...meta, channel: feed.view.name });
  }

  private finish(final: Final): void {
    if (this.current === 'closed') {
      return;
    }
    this.setState('closed');
    this.channels.forEach((feed) => feed.closed());
    if (final.then === 'fail') {
      this.report(final.error);
      this.settle.reject(final.error);
    } else {
      this.settle.resolve(final.data as SseEndEventData | undefined);
    }
  }

  private setState(state: SseClientState): void {
    if (state !== this.current && this.current !== 'closed') {
      this.current = state;
      this.states.forEach((listener) => this.guarded(() => listener(state), 'a state listener'));
    }
  }

  private report(error: SseClientError): void {
    this.errors.forEach((listener) => this.guarded(() => listener(error)));
  }

  /** What a handler threw: reported as `handler`, or rethrown asynchronously when nobody listens to errors. */
  private thrown(cause: unknown, event: string): void {
    if (this.errors.size === 0) {
      queueMicrotask(() => {
        throw cause;
      });
    } else {
      this.report(new SseClientError('handler', `A handler of ${event} threw: ${String(cause)}`, undefined, undefined, undefined, { cause }));
    }
  }

  /** Runs a listener; what it throws never reaches the client's loop. */
  private guarded(call: () => void, what?: string): void {
    try {
      call();
    } catch (cause) {
      if (what) {
        this.thrown(cause, what);
      } else {
        queueMicrotask(() => {
          throw cause;
        });
      }
    }
  }
}
