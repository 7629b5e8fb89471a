/**
 * One SSE event with its fields. Any value that is not a message object is
 * plain data (see {@link isSseMessage} for the rule).
 *
 * - `data`: a string is sent as it is, numbers and booleans as text, anything
 *   else as JSON; `""` is an empty event, a missing `data` sends no event (only
 *   a `comment` or `retry`).
 * - `event`: the event name (no CR/LF); without it the route's event name
 *   applies, and without that the client sees a `message` event.
 * - `id`: printable ASCII, no CR/LF/NUL. `""` clears the client's last event id.
 * - `retry`: the client's reconnection time in ms, a non-negative integer.
 * - `comment`: a comment line (ignored by clients; useful for debugging).
 *
 * @publicApi
 */
export interface SseMessage<T = unknown> {
  data?: T;
  event?: string;
  id?: string;
  retry?: number;
  comment?: string;
}

/**
 * Nest's own `MessageEvent` shape, accepted as it is so that `@Sse()` handlers
 * work unchanged: `type` is the event name.
 *
 * @publicApi
 */
export interface SseMessageEvent<T = unknown> {
  data: T;
  id?: string | number;
  type?: string;
  retry?: number;
}
