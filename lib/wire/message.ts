/**
 * The rule that tells a message object from plain data, and the step from a
 * message (or plain data) to validated frame parts. Pure, like the encoder.
 */
import type { SseMessage } from '../interfaces/sse-message.interface.js';
import * as messages from '../sse.messages.js';
import {
  assertEventName,
  assertId,
  assertRetry,
  SseEncodingError,
  serializeData,
  type SseFrameParts,
} from './encoder.js';

const MESSAGE_KEYS = new Set(['data', 'event', 'type', 'id', 'retry', 'comment']);

/**
 * A value is a message object (an {@link SseMessage} or Nest's `MessageEvent`)
 * when it is a plain object whose own keys are all among `data`, `event`,
 * `type`, `id`, `retry` and `comment`, and which has at least one of `data`,
 * `comment` or `retry`. Anything else — strings, numbers, arrays, class
 * instances, objects with other keys — is plain data and becomes the `data` of
 * one event.
 *
 * @publicApi
 */
export function isSseMessage(value: unknown): value is SseMessage & { type?: string } {
  if (value === null || typeof value !== 'object') {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return false;
  }
  let hasPayload = false;
  for (const key in value) {
    if (!MESSAGE_KEYS.has(key)) {
      return false;
    }
    if (key === 'data' || key === 'comment' || key === 'retry') {
      hasPayload = true;
    }
  }
  return hasPayload;
}

/** Ids given as numbers (Nest's `MessageEvent` allows it) become decimal text. */
function normalizeId(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return String(value);
  }
  assertId(value);
  return value;
}

/**
 * Validates one value written to a client and returns its frame parts.
 *
 * @param value a message object or plain data
 * @param defaultEvent the route's event name, used when the value names none
 */
export function toFrameParts(value: unknown, defaultEvent?: string): SseFrameParts {
  if (!isSseMessage(value)) {
    return { event: defaultEvent, data: serializeData(value) };
  }
  const parts: SseFrameParts = {};
  const event = value.event ?? value.type;
  if (event !== undefined) {
    assertEventName(event, value.event !== undefined ? 'event' : 'type');
  }
  if (value.id !== undefined) {
    parts.id = normalizeId(value.id);
  }
  if (value.retry !== undefined) {
    assertRetry(value.retry);
    parts.retry = value.retry;
  }
  if (value.comment !== undefined) {
    if (typeof value.comment !== 'string') {
      throw new SseEncodingError(messages.notAString('comment', value.comment));
    }
    parts.comment = value.comment;
  }
  if (value.data !== undefined) {
    parts.data = serializeData(value.data);
    parts.event = event ?? defaultEvent;
  } else if (event !== undefined || parts.id !== undefined) {
    throw new SseEncodingError(messages.messageWithoutData(event !== undefined ? '"event"' : '"id"'));
  }
  return parts;
}
