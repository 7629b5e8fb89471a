/**
 * What went wrong, as `onError()` reports it and `done` rejects with:
 * - `refused`: the server answered `401`, `403`, `404` or another 4xx (not
 *   408/429), or a redirect — closed for good; `status` and `body` (its JSON,
 *   or text) are set;
 * - `revoked`: the close event with reason `revoked` — closed for good; `body`
 *   is the event's data;
 * - `protocol`: a `200` that is not `text/event-stream` — closed for good;
 * - `status`: a `408`, `429` or 5xx — retried (after `Retry-After` if sent);
 * - `network`: the request failed or the connection broke — retried;
 * - `request`: building the request failed (the `headers` or `reconnectUrl`
 *   function threw) — retried;
 * - `stalled`: nothing arrived for `stallTimeout` — retried from the last id;
 * - `too-large`: a line or event over `maxEventBytes` — retried from the last id;
 * - `parse`: a line the parser ignored (an unknown field, a bad `retry:`) —
 *   the stream goes on;
 * - `handler`: an event handler threw — the stream goes on.
 *
 * @publicApi
 */
export type SseClientErrorKind = 'refused' | 'revoked' | 'protocol' | 'status' | 'network' | 'request' | 'stalled' | 'too-large' | 'parse' | 'handler';

/** @publicApi */
export class SseClientError extends Error {
  override name = 'SseClientError';

  constructor(
    readonly kind: SseClientErrorKind,
    message: string,
    /** The response status (`refused`, `status`, `protocol`). */
    readonly status?: number,
    /** The response body (JSON parsed, else text), or the close event's data (`revoked`). */
    readonly body?: unknown,
    /** Milliseconds until the next attempt; `undefined` when there is none (closed, or the stream goes on). */
    readonly retryIn?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
