import type { ResetReason } from '../model/reset-reason.js';

/**
 * The data of the reset event (`resetEvent`, default `sse-reset`), sent as
 * JSON to a client whose `Last-Event-ID` cannot be resumed: events were lost,
 * it should reload its state.
 *
 * @example
 * source.addEventListener('sse-reset', (e) => {
 *   const { reason, channel } = JSON.parse(e.data) as SseResetEventData;
 *   reload(channel);
 * });
 *
 * @publicApi
 */
export interface SseResetEventData {
  /** `history-exceeded`: an id of this channel that fell out of its history; `unknown-id`: anything else. */
  reason: ResetReason;
  /** The id the client resumed from. */
  lastEventId: string;
  /** The channel. */
  channel: string;
}
