import type { EventSourceMessage } from 'eventsource-parser';
import { readEventStream, type StreamEnd, type StreamLimits, type StreamRequest } from './event-stream.js';
import { reconnectDelay, retryAfterDelay } from './reconnect-delay.js';
import { SseClientError, type SseClientErrorKind } from './sse-client-error.js';
import type { SseClientOptions, SseClientState, SseEventMeta } from './sse-client-options.interface.js';
import { buildRequest } from './sse-client-request.js';

/** How the stream ends for good: the end (`done` resolves with `data`) or a failure (`done` rejects). */
export type Final = { then: 'end'; data?: unknown } | { then: 'fail'; error: SseClientError };
/** What comes after a connection. */
type Next = Final | { then: 'retry'; delay: number; error?: SseClientError };

/** What the stream tells its client. */
export interface StreamOwner {
  state(state: SseClientState): void;
  event(event: string, data: unknown, meta: SseEventMeta): void;
  report(error: SseClientError): void;
  /** Closed for good (not called for `close()`). */
  finished(final: Final): void;
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/**
 * Parses an event's data (`options.parse`, else JSON) and hands the event to
 * `owner`; what it was parsed to, or `undefined` when `parse` threw
 * (reported as `parse`: the event is not handed on).
 */
export function handOn(options: SseClientOptions, owner: StreamOwner, event: string, raw: string, id: string | undefined): unknown {
  let data: unknown;
  try {
    data = options.parse ? options.parse(raw, event) : parseJson(raw);
  } catch (cause) {
    owner.report(new SseClientError('parse', `parse() threw for ${event}: ${String(cause)}`, undefined, raw, undefined, { cause }));
    return undefined;
  }
  owner.event(event, data, { id, event, raw });
  return data;
}

/** What the client drives: one connection of its own, or a share of one across tabs. */
export interface ClientStream {
  /** The id the next request sends as `Last-Event-ID`. */
  readonly id: string | undefined;
  start(): void;
  reconnect(): void;
  close(): void;
}

/**
 * The client's connection, made again and again until the stream is over:
 * the last id, the server's `retry:`, the count of failures and the delays
 * that follow from them, and the library's protocol (end, close, status codes).
 */
export class ReconnectingStream {
  /** The id sent as `Last-Event-ID`. */
  id: string | undefined;
  private retry: number;
  /** Failed attempts in a row (reset by any event). */
  private failures = 0;
  /** The current connection has handed on an event. */
  private delivered = false;
  private controller: AbortController | undefined;
  /** Decided while a connection was read (an end, a close event, `reconnect()`, `close()`): what comes after it. */
  private decided: Next | undefined;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private readonly names: { end: string; accessEnd: string };
  private readonly limits: StreamLimits;
  private readonly cap: number;

  constructor(
    private readonly url: string,
    private readonly options: SseClientOptions,
    private readonly owner: StreamOwner,
  ) {
    this.id = options.lastEventId;
    this.retry = options.retry ?? 3000;
    this.cap = options.maxRetryDelay ?? 30_000;
    this.names = { end: 'sse-end', accessEnd: 'sse-close', ...options.events };
    this.limits = { maxEventBytes: options.maxEventBytes ?? 1024 * 1024, stallTimeout: options.stallTimeout ?? 45_000 };
  }

  /** Starts connecting; `resumed`: this is not the first request (a tab that took over: `reconnectUrl` if set). */
  start(resumed = false): void {
    this.run(!resumed).then(
      (final) => this.closed || this.owner.finished(final),
      (cause: unknown) => this.closed || this.owner.finished({ then: 'fail', error: new SseClientError('network', String(cause), undefined, undefined, undefined, { cause }) }),
    );
  }

  /** Ends the current connection or wait; the next attempt starts at once. */
  reconnect(): void {
    this.stop({ then: 'retry', delay: 0 });
    clearTimeout(this.timer);
    this.wake?.();
  }

  /** Stops for good. */
  close(): void {
    this.closed = true;
    this.reconnect();
  }

  private async run(first: boolean): Promise<Final> {
    for (; ; first = false) {
      const next = await this.attempt(first);
      if (next.then !== 'retry' || this.closed) {
        return next.then === 'retry' ? { then: 'end' } : next;
      }
      if (next.error) {
        this.owner.report(next.error);
        if (this.closed) {
          return { then: 'end' }; // (closed by a listener of the report: no wait, no more headers())
        }
      }
      this.owner.state('connecting');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, next.delay);
      });
      this.wake = undefined;
    }
  }

  private async attempt(first: boolean): Promise<Next> {
    this.decided = undefined;
    this.delivered = false;
    let request: StreamRequest;
    try {
      const headers = typeof this.options.headers === 'function' ? await this.options.headers() : this.options.headers;
      request = buildRequest(this.url, this.options, first, headers, this.id);
    } catch (cause) {
      return this.failed('request', `Could not build the request: ${String(cause)}`, { cause });
    }
    if (this.closed || this.decided) {
      return this.decided ?? { then: 'end' };
    }
    this.controller = new AbortController();
    const end = await readEventStream(this.options.fetch ?? fetch, request, this.controller, this.limits, {
      opened: () => this.owner.state('open'),
      event: (message) => this.dispatch(message),
      retry: (ms) => (this.retry = ms),
      parseError: (error) => this.owner.report(new SseClientError('parse', error.message)),
    });
    this.controller = undefined;
    return this.decided ?? this.after(end);
  }

  /** What follows a connection that ended on its own. */
  private after(end: StreamEnd): Next {
    switch (end.end) {
      case 'eof':
        // Ended normally after events: exactly `retry`, as EventSource does; without any: a failure.
        return this.delivered ? { then: 'retry', delay: reconnectDelay(this.retry, 0, this.cap) } : this.failed();
      case 'stalled':
        return this.failed('stalled', `Nothing arrived for ${this.limits.stallTimeout} ms`);
      case 'too-large':
        return this.failed('too-large', `A ${end.overflow.what} over maxEventBytes (${this.limits.maxEventBytes}): ${end.overflow.bytes} bytes and counting`);
      case 'status':
        return this.answered(end);
      default: {
        const cause = end.end === 'network' ? end.cause : undefined;
        return this.failed('network', `The connection failed: ${String(cause ?? 'aborted')}`, { cause });
      }
    }
  }

  /** A response that is not a 200 event stream. */
  private answered({ status, body, retryAfter, type }: Extract<StreamEnd, { end: 'status' }>): Next {
    if (status === 204) {
      return { then: 'end' };
    }
    const said = typeof body === 'object' && body !== null && 'message' in body ? `: ${String(body.message)}` : '';
    if (status === 200) {
      return { then: 'fail', error: new SseClientError('protocol', `Expected text/event-stream, got ${type ?? 'no content type'}`, status, body) };
    }
    if (status === 408 || status === 429 || status >= 500) {
      return this.failed('status', `The server answered ${status}${said}`, { status, body }, retryAfterDelay(retryAfter));
    }
    return { then: 'fail', error: new SseClientError('refused', `The server refused the stream with ${status}${said}`, status, body) };
  }

  /** One more failure: the next attempt after a backoff (or `delay`), reported as `kind` if given. */
  private failed(kind?: SseClientErrorKind, message = '', details: { status?: number; body?: unknown; cause?: unknown } = {}, delay?: number): Next {
    this.failures++;
    const retryIn = delay ?? reconnectDelay(this.retry, this.failures, this.cap);
    const error = kind && new SseClientError(kind, message, details.status, details.body, retryIn, { cause: details.cause });
    return { then: 'retry', delay: retryIn, error };
  }

  private dispatch({ id, event: name, data: raw }: EventSourceMessage): void {
    if (id !== undefined) {
      this.id = id === '' ? undefined : id;
    }
    this.delivered = true;
    this.failures = 0;
    const event = name ?? 'message';
    const data = handOn(this.options, this.owner, event, raw, id) ?? parseJson(raw);
    if (event === this.names.end) {
      this.stop({ then: 'end', data });
    } else if (event === this.names.accessEnd) {
      const reason = (parseJson(raw) as { reason?: unknown } | null)?.reason;
      if (reason === 'expired') {
        this.stop({ then: 'retry', delay: 0 });
      } else if (reason === 'revoked') {
        this.stop({ then: 'fail', error: new SseClientError('revoked', "The server revoked the stream's access", undefined, data) });
      }
    }
  }

  /** Ends the current connection; `next` says what follows (the first decision stands). */
  private stop(next: Next): void {
    this.decided ??= next;
    this.controller?.abort();
  }
}
