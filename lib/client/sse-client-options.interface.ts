import type { SseResetEventData } from '../interfaces/sse-reset-event.interface.js';

export type { SseResetEventData };

/** Event data by event name: what `on(name, …)` hands its handler. @publicApi */
export type SseEventMap = Record<string, unknown>;

/**
 * Channel templates of an `@SseChannels()` route (`'rooms/:id'`) to the event
 * map of each channel: `message` for the channel's plain events (`event:
 * rooms/42`), other keys for its named events (`event: rooms/42#typing`).
 *
 * @publicApi
 */
export type SseChannelMap = Record<string, SseEventMap>;

/** `'connecting'` (also while waiting to reconnect), `'open'` (a 200 event stream is being read) or `'closed'` (for good). @publicApi */
export type SseClientState = 'connecting' | 'open' | 'closed';

/** The data of the end event (`sse-end`): the channel ended, and why. @publicApi */
export interface SseEndEventData {
  channel: string;
  reason: 'complete' | 'error' | 'ended';
}

/** The data of the close event (`sse-close`): the stream's access ended. @publicApi */
export interface SseCloseEventData {
  reason: 'expired' | 'revoked';
}

/** The data of a channel's presence events (`sse-join`, `sse-leave`). @publicApi */
export interface SsePresenceEventData {
  identity: string;
}

/** The events the library itself sends on a stream, by their default names. @publicApi */
export interface SseLibraryEvents {
  'sse-end': SseEndEventData;
  'sse-close': SseCloseEventData;
  'sse-reset': SseResetEventData;
}

/** The library's events of one channel on an `@SseChannels()` stream (`event: <channel>#sse-end`, …). @publicApi */
export interface SseChannelLibraryEvents {
  'sse-end': SseEndEventData;
  'sse-reset': SseResetEventData;
  'sse-join': SsePresenceEventData;
  'sse-leave': SsePresenceEventData;
}

/** What a handler gets besides the data. @publicApi */
export interface SseEventMeta {
  /** The event's own `id:` (`undefined` for an event without one, e.g. a channel's reset or presence event). */
  id: string | undefined;
  /** The event name as sent (`message` when it had none; `rooms/42#chat` on a stream of many channels). */
  event: string;
  /** On a stream of many channels: the channel the event belongs to. */
  channel?: string;
  /** The `data:` text as received, before `parse`. */
  raw: string;
}

/** A handler of one event name. @publicApi */
export type SseEventHandler<T> = (data: T, meta: SseEventMeta) => void;

/**
 * `new SseClient(url, options)`.
 *
 * @publicApi
 */
export interface SseClientOptions {
  /**
   * Request headers, or a function asked for them before every (re)connect —
   * where a fresh token comes from. If it throws (or rejects), the attempt
   * fails: reported as `request`, retried with backoff.
   * @default undefined
   */
  headers?: RequestInit['headers'] | (() => RequestInit['headers'] | Promise<RequestInit['headers']>);
  /** HTTP method of the first request (e.g. `'POST'` to start a run). @default 'GET' */
  method?: string;
  /**
   * Body of the first request: a plain object or array is sent as JSON (with
   * `Content-Type: application/json` unless set); anything else as it is.
   * @default undefined
   */
  body?: unknown;
  /** `fetch`'s `credentials` (browsers): `'include'` sends cookies cross-origin. @default undefined (fetch's 'same-origin') */
  credentials?: RequestInit['credentials'];
  /**
   * Where reconnects go: with it, every request after the first is a `GET`
   * of this URL without a body — the resume route of a run started by a
   * `POST` (`'/runs/42'`). A function is asked before every reconnect (the
   * run's id may have arrived in its first event).
   * @default undefined (reconnects repeat the first request)
   */
  reconnectUrl?: string | URL | (() => string | URL);
  /** The id to resume from on the first request (sent as `Last-Event-ID`), e.g. one kept across a page load. @default undefined */
  lastEventId?: string;
  /**
   * `'tabs'`: one connection for all the tabs of this origin that open the
   * same URL with the same method, body and headers (the headers as first
   * resolved: tabs with different tokens do not share). One tab, elected
   * with the Web Locks API, connects and hands every event, its state, its
   * errors and the end to the others over a `BroadcastChannel`; when it
   * closes, another tab takes over and resumes from the last id the tabs
   * saw (its first request is then a reconnect: `reconnectUrl` if set).
   * Where `navigator.locks` or `BroadcastChannel` is missing (Node, old
   * browsers), each client connects on its own.
   * @default false
   */
  share?: 'tabs' | false;
  /**
   * Reconnection time in ms until the server sends its own (`retry:`). A
   * stream the server ended normally is reopened after exactly this time;
   * failures back off from it (see `maxRetryDelay`).
   * @default 3000
   */
  retry?: number;
  /**
   * Cap of the delay between attempts, in ms. After a failure (network
   * error, 5xx, a stall, a stream closed without any event) the delay is
   * drawn at random between half and all of `retry × 2^(failures − 1)`,
   * capped here; any event received resets the count. The server's
   * `retry:` is capped here too; `Retry-After` is not.
   * @default 30000
   */
  maxRetryDelay?: number;
  /**
   * A connection over which nothing arrives — no event, not even a heartbeat
   * comment — for this many ms (from the request on) is dropped, reported as
   * `stalled`, and reopened from the last id. The default is three heartbeats
   * of the server's default `heartbeat` (15 s); set about 3 × the server's
   * `heartbeat` if you changed it. 0 turns it off (needed when the server
   * sends no heartbeat and may stay quiet).
   * @default 45000
   */
  stallTimeout?: number;
  /**
   * The largest line or event accepted, in bytes: a larger one drops the
   * connection (reported as `too-large`; the client reconnects with backoff,
   * from the last id). Bounds the client's memory against a broken server.
   * @default 1048576 (1 MiB)
   */
  maxEventBytes?: number;
  /**
   * Names of the library's events when the server renamed them (its module
   * option `events`): `end` closes the client, `accessEnd` with reason
   * `expired` reconnects with fresh headers and with `revoked` closes it.
   * `reset` names the reset event (delivered like any event; the client
   * does nothing else with it).
   * @default { end: 'sse-end', accessEnd: 'sse-close', reset: 'sse-reset' }
   */
  events?: { end?: string; accessEnd?: string; reset?: string };
  /**
   * Turns an event's `data:` text into its value. The default parses JSON
   * (the server writes objects as JSON) and gives the text as it is when it
   * is not JSON (the server writes strings raw): a string that looks like
   * JSON (`'42'`, `'true'`) arrives parsed — pass `(text) => text` for raw text.
   * @default JSON.parse, falling back to the text
   */
  parse?: (data: string, event: string) => unknown;
  /** The `fetch` to use (a wrapped one, a test's fake). @default globalThis.fetch */
  fetch?: typeof fetch;
}
