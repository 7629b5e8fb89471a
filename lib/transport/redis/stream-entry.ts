import type { SseTransportEvent, SseTransportRead, SseTransportReadSince } from '../../interfaces/sse-transport.interface.js';
import { withTag } from './channel-id.js';
import { compareStreamIds } from './stream-id.js';

/** A Stream entry as Redis returns it: its id and its fields — `e` (event name), `d` (data), `a` (audience), `s` / `q` (its position in the sequence across channels and its epoch). */
export type StreamEntry = [string, string[]];

/** The entry as an event of the channel with `tag` (its id tagged, see channel-id.ts). */
export function toEvent([id, fields]: StreamEntry, tag: string): SseTransportEvent {
  let event: string | undefined;
  let data = '';
  let audience: SseTransportEvent['audience'];
  let seq: number | undefined;
  let epoch: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 'e':
        event = value || undefined;
        break;
      case 'd':
        data = value;
        break;
      case 'a':
        audience = parseAudience(value);
        break;
      case 's':
        seq = Number(value);
        break;
      case 'q':
        epoch = value;
        break;
    }
  }
  return seq === undefined || epoch === undefined ? { id: withTag(id, tag), event, data, audience } : { id: withTag(id, tag), event, data, audience, seq, epoch };
}

/** An event's audience as the publish script keeps it ('' or absent: everyone). */
export function parseAudience(text: string | undefined): SseTransportEvent['audience'] {
  return text ? (JSON.parse(text) as SseTransportEvent['audience']) : undefined;
}

/**
 * The read script's reply (see READ_SCRIPT) as a read of the channel with
 * `tag`: every id tagged.
 */
export function toRead(reply: unknown[], tag: string): SseTransportRead {
  if (reply.length === 0) {
    return { events: [], lastId: undefined, trimmedUpTo: undefined };
  }
  // (The newest entry comes only with a read of no events: what subscribe() asks for.)
  const [lastId, trimmed, deleted, first, entries, newest = [], known] = reply as [string, string, string, string, StreamEntry[], (StreamEntry | [])?, number?];
  // A client behind either of them has missed events.
  const trimmedUpTo = compareStreamIds(String(trimmed), String(deleted)) >= 0 ? String(trimmed) : String(deleted);
  const removed = trimmedUpTo !== '0-0';
  return {
    events: entries.map((entry) => toEvent(entry, tag)),
    lastId: withTag(String(lastId), tag),
    trimmedUpTo: removed ? withTag(trimmedUpTo, tag) : undefined,
    firstId: !removed && first ? withTag(String(first), tag) : undefined,
    newest: newest.length === 2 ? toEvent(newest as StreamEntry, tag) : undefined,
    ...(known === undefined ? {} : { knownId: known === 1 }),
  };
}

/** What a channel's history holds after a position of the sequence (see MISSED_SINCE_SCRIPT), from the script's reply. */
export function toReadSince(reply: unknown[], tag: string, after: number, fromStart: boolean): SseTransportReadSince {
  const [epoch, current, boundary, entries] = reply as [string, string | number, string, StreamEntry[]];
  return {
    epoch: String(epoch),
    current: Number(current),
    events: entries.map((entry) => toEvent(entry, tag)),
    missing: missingBefore(String(boundary), after, Number(current), fromStart),
  };
}

/**
 * Whether events after position `after` may be missing before the first entry
 * read, from what the script found: `kept` (an entry at or before `after`:
 * nothing is missing); the oldest entry's previous seq (a number) — missing
 * when it is after `after` (`trimmed`); `b<n>` — the Stream was made when the
 * sequence was at n: a former Stream of the channel may have had events after
 * `after` (`unknown`); `?` or `empty` — a Stream that kept no entry
 * (`trimmed` if anything was published since); `none` — no Stream (`unknown`
 * likewise). From the start, only what was trimmed counts.
 */
function missingBefore(boundary: string, after: number, current: number, fromStart: boolean): SseTransportReadSince['missing'] {
  if (boundary === 'kept' || current <= after) {
    return undefined;
  }
  if (boundary === 'none') {
    return fromStart ? undefined : 'unknown';
  }
  if (boundary === '?' || boundary === 'empty') {
    return 'trimmed';
  }
  if (boundary.startsWith('b')) {
    return !fromStart && Number(boundary.slice(1)) > after ? 'unknown' : undefined;
  }
  return Number(boundary) > after ? 'trimmed' : undefined;
}
