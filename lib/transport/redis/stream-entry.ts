import type { SseTransportEvent } from '../sse-transport.interface.js';

/** A Stream entry as Redis returns it: its id and its fields, `e` (event name) and `d` (data). */
export type StreamEntry = [string, string[]];

export function toEvent([id, fields]: StreamEntry): SseTransportEvent {
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
  return { id, event, data, audience };
}

/** An event's audience as the publish script keeps it ('' or absent: everyone). */
export function parseAudience(text: string | undefined): SseTransportEvent['audience'] {
  return text ? (JSON.parse(text) as SseTransportEvent['audience']) : undefined;
}
