import { handOn, ReconnectingStream, type ClientStream, type Final, type StreamOwner } from './reconnecting-stream.js';
import { SseClientError, type SseClientErrorKind } from './sse-client-error.js';
import type { SseClientOptions, SseClientState } from './sse-client-options.interface.js';

/** The part of the Web Locks API used here (`navigator.locks`). */
export interface TabLocks {
  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/** An error as it crosses tabs (an Error's own fields do not survive structured cloning everywhere). */
type ErrorFields = [kind: SseClientErrorKind, message: string, status?: number, body?: unknown, retryIn?: number];

/**
 * What tabs tell each other: an event (`e` name, `r` raw data, `i` id), the
 * leader's state (`s`, with `i` its last id), an error (`x`), the end (`f`:
 * `d` its data, or `x` the failure); a new tab's hello (`h`); a reconnect
 * asked for (`c`).
 */
type Message = { e?: string; r?: string; i?: string; s?: SseClientState; x?: ErrorFields; f?: 1; d?: unknown; h?: 1; c?: 1 };

/** The part of `BroadcastChannel` used here (typed alike for the DOM and Node). */
interface Bus {
  onmessage: ((event: { data: Message }) => void) | null;
  postMessage(message: Message): void;
  close(): void;
}

const fields = (e: SseClientError): ErrorFields => [e.kind, e.message, e.status, e.body, e.retryIn];
const error = (x: ErrorFields) => new SseClientError(...x);

/** `navigator.locks` when it and `BroadcastChannel` are there (else every tab connects on its own). */
export function tabLocks(): TabLocks | undefined {
  const locks = (globalThis as { navigator?: { locks?: TabLocks } }).navigator?.locks;
  return locks && typeof BroadcastChannel === 'function' ? locks : undefined;
}

/**
 * `share: 'tabs'`: the tabs of an origin that open the same URL with the
 * same method, body and headers (as first resolved) share one connection.
 * The tab that holds a Web Lock named for them leads: it connects, and hands
 * every event, its state, its errors and the end to the others through a
 * `BroadcastChannel` of that name. When it closes (or its tab does), the
 * browser gives the lock to another tab, which connects from the last id
 * any tab saw — as a reconnect (`reconnectUrl` if set).
 */
export class TabShare implements ClientStream {
  /** This tab's connection, while it leads. */
  private own: ReconnectingStream | undefined;
  /** The last id of the events this tab got from the leader. */
  private seen: string | undefined;
  /** This tab got events from a leader: when it leads, its first request is a reconnect. */
  private heardAny = false;
  /**
   * The ids of the last events this tab handed on: at a take-over, an event
   * may come both from the old leader (still on its way) and from the new
   * one's resume — it is shown once.
   */
  private readonly recent: string[] = [];
  private bus: Bus | undefined;
  private state: SseClientState = 'connecting';
  private closed = false;
  private readonly quit = new AbortController();
  private release: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly options: SseClientOptions,
    private readonly owner: StreamOwner,
    private readonly locks: TabLocks,
  ) {
    this.seen = options.lastEventId;
  }

  get id(): string | undefined {
    return this.own ? this.own.id : this.seen;
  }

  start(): void {
    this.join().catch((cause: unknown) => this.end({ then: 'fail', error: new SseClientError('request', `Could not share the stream: ${String(cause)}`) }));
  }

  reconnect(): void {
    if (this.own) {
      this.own.reconnect();
    } else {
      this.post({ c: 1 });
    }
  }

  close(): void {
    this.stop(0);
  }

  /** Stops for good; a leader keeps the lock `linger` ms more (after an end: the others hear of it before one takes over). */
  private stop(linger: number): void {
    this.closed = true;
    this.own?.close();
    this.quit.abort();
    this.bus?.close();
    if (this.release) {
      setTimeout(this.release, linger);
    }
  }

  private async join(): Promise<void> {
    const { headers, method, body } = this.options;
    const resolved = typeof headers === 'function' ? await headers() : headers;
    if (this.closed) {
      return;
    }
    const key = `nestjs-sse-channel ${this.url} ${JSON.stringify([method, body, [...new Headers(resolved)]])}`;
    this.bus = new BroadcastChannel(key) as unknown as Bus;
    this.bus.onmessage = ({ data }) => this.heard(data);
    this.post({ h: 1 });
    this.locks.request(key, { signal: this.quit.signal }, () => this.lead()).catch(() => {});
  }

  /** This tab holds the lock: it connects, until it closes. */
  private lead(): Promise<void> {
    if (this.closed) {
      return Promise.resolve();
    }
    const resumed = this.heardAny;
    this.own = new ReconnectingStream(this.url, { ...this.options, lastEventId: this.seen }, {
      state: (s) => {
        this.state = s;
        this.owner.state(s);
        this.post({ s, i: this.own?.id });
      },
      event: (e, data, meta) => {
        if (this.fresh(meta.id)) {
          this.owner.event(e, data, meta);
        }
        this.post({ e, r: meta.raw, i: meta.id });
      },
      report: (x) => {
        this.owner.report(x);
        this.post({ x: fields(x) });
      },
      finished: (final) => {
        this.post(final.then === 'end' ? { f: 1, d: final.data } : { f: 1, x: fields(final.error) });
        this.end(final);
      },
    });
    this.own.start(resumed);
    return new Promise((resolve) => (this.release = resolve));
  }

  private heard(message: Message): void {
    if (this.own || this.closed) {
      if (this.own && message.h) {
        // (With the last id: a new tab that takes over before any event resumes from it.)
        this.post({ s: this.state, i: this.own.id });
      } else if (this.own && message.c) {
        this.own.reconnect();
      }
      return;
    }
    if (message.e !== undefined) {
      this.heardAny = true;
      if (message.i !== undefined) {
        this.seen = message.i === '' ? undefined : message.i;
      }
      if (this.fresh(message.i)) {
        handOn(this.options, this.owner, message.e, message.r!, message.i);
      }
    } else if (message.f) {
      this.end(message.x ? { then: 'fail', error: error(message.x) } : { then: 'end', data: message.d });
    } else if (message.x) {
      this.owner.report(error(message.x));
    } else if (message.s) {
      if (message.i !== undefined) {
        this.heardAny = true;
        this.seen = message.i;
      }
      this.owner.state(message.s);
    }
  }

  private end(final: Final): void {
    if (!this.closed) {
      this.stop(100);
      this.owner.finished(final);
    }
  }

  /** Not among the last 64 ids handed on (an event without an id always is fresh). */
  private fresh(id: string | undefined): boolean {
    if (!id) {
      return true;
    }
    if (this.recent.includes(id)) {
      return false;
    }
    if (this.recent.push(id) > 64) {
      this.recent.shift();
    }
    return true;
  }

  private post(message: Message): void {
    this.bus?.postMessage(message);
  }
}
