import type { SseTransportEvent } from '../interfaces/sse-transport.interface.js';
import { encodeEventBody } from '../wire/encoder.js';
import type { ChannelEvent } from './history.js';

/** An event as a transport carries it, as its channel keeps it: encoded once. */
export function toEntry(event: SseTransportEvent): ChannelEvent {
  const { id, seq, epoch } = event;
  const entry = { id, event: event.event, body: encodeEventBody(id, event.data), audience: event.audience };
  return seq === undefined ? entry : { ...entry, seq, epoch };
}
