import type { SseTransportEvent, SseTransportHost } from '../../interfaces/sse-transport.interface.js';
import type { RedisKeys } from './redis-keys.js';
import { channelTag, withTag } from './channel-id.js';
import { parseAudience } from './stream-entry.js';

/**
 * An event as the publish script sends it on the channel's Pub/Sub topic
 * (`topic`, its Stream's key): `<id>\n<event name>\n<audience>\n<seq>
 * <epoch>\n<data>`; `undefined` when the message is not of that shape.
 */
export function parseEventMessage(topic: string, message: string): SseTransportEvent | undefined {
  const idEnd = message.indexOf('\n');
  const eventEnd = message.indexOf('\n', idEnd + 1);
  const audienceEnd = message.indexOf('\n', eventEnd + 1);
  const seqEnd = message.indexOf(' ', audienceEnd + 1);
  const positionEnd = message.indexOf('\n', seqEnd + 1);
  if (idEnd < 0 || eventEnd < 0 || audienceEnd < 0 || seqEnd < 0 || positionEnd < 0) {
    return undefined;
  }
  return {
    id: withTag(message.slice(0, idEnd), channelTag(topic)),
    event: message.slice(idEnd + 1, eventEnd) || undefined,
    data: message.slice(positionEnd + 1),
    audience: parseAudience(message.slice(eventEnd + 1, audienceEnd)),
    seq: Number(message.slice(audienceEnd + 1, seqEnd)),
    epoch: message.slice(seqEnd + 1, positionEnd),
  };
}

/** Hands a message on a subscribed topic to the host: a control message, or a channel's event. */
export function handOver(host: SseTransportHost, keys: RedisKeys, topic: string, message: string): void {
  if (topic === keys.control) {
    host.control(message);
    return;
  }
  const channel = keys.channelOf(topic);
  const event = channel === undefined ? undefined : parseEventMessage(topic, message);
  if (event) {
    host.deliver(channel!, event);
  }
}
