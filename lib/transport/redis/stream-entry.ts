import type { SseTransportEvent, SseTransportRead } from '../../interfaces/sse-transport.interface.js';
import { withTag } from './channel-id.js';
import { compareStreamIds } from './stream-id.js';

/** A Stream entry as Redis returns it: its id and its fields, `e` (event name) and `d` (data). */
export type StreamEntry = [string, string[]];

/** The entry as an event of the channel with `tag` (its id tagged, see channel-id.ts). */
export function toEvent([id, fields]: StreamEntry, tag: string): SseTransportEvent {
  let event: string | undefined;
  let data = '';
  let audience: SseTransportEvent['audience'];
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'e') {
      event = fields[i + 1] || undefined;
    } else if (fields[i] === 'd') {
      data = fields[i + 1];
    } else if (fields[i] === 'a') {
      audience = parseAudience(fields[i + 1]);
    }
  }
  return { id: withTag(id, tag), event, data, audience };
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
  const [lastId, trimmed, deleted, first, entries, newest = []] = reply as [string, string, string, string, StreamEntry[], (StreamEntry | [])?];
  // A client behind either of them has missed events.
  const trimmedUpTo = compareStreamIds(String(trimmed), String(deleted)) >= 0 ? String(trimmed) : String(deleted);
  const removed = trimmedUpTo !== '0-0';
  return {
    events: entries.map((entry) => toEvent(entry, tag)),
    lastId: withTag(String(lastId), tag),
    trimmedUpTo: removed ? withTag(trimmedUpTo, tag) : undefined,
    firstId: !removed && first ? withTag(String(first), tag) : undefined,
    newest: newest.length === 2 ? toEvent(newest as StreamEntry, tag) : undefined,
  };
}
