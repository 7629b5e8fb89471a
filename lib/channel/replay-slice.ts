import { withEventName } from '../wire/encoder.js';
import { isFor } from '../model/audience.js';
import type { ChannelEvent } from '../feed/history.js';

/** The next part of a replay to one client. */
export interface ReplaySlice {
  /** Its frames, under the client's event name. */
  readonly text: string;
  readonly frames: number;
  /** Where the next slice starts. */
  readonly end: number;
  /** It ends with the end event: nothing comes after it. */
  readonly finished: boolean;
}

/**
 * The frames of `events` from `start` that a client catching up gets next:
 * at most `budget` characters (an event bigger than that goes alone), those
 * for its identity, and nothing after the end event (which is for everyone,
 * whoever the channel's events were for).
 */
export function replaySlice(
  events: readonly ChannelEvent[],
  start: number,
  budget: number,
  endEvent: string,
  client: { readonly eventName: string; readonly identity: string | undefined },
): ReplaySlice {
  let text = '';
  let frames = 0;
  let end = start;
  let finished = false;
  while (end < events.length && !finished && (text === '' || text.length + events[end].body.length <= budget)) {
    const entry = events[end++];
    finished = entry.event === endEvent;
    if (finished || isFor(entry.audience, client.identity)) {
      text += withEventName(entry.event ?? client.eventName, entry.body);
      frames++;
    }
  }
  return { text, frames, end, finished };
}
