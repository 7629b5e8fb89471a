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

/** A message with its fields read off, whatever form it came in. */
export type SseMessageFields = SseMessage & { type?: string; id?: string | number };

/** The standard `MessageEvent` (a global in browsers and Node), also from another realm. */
function isDomMessageEvent(value: object): value is MessageEvent {
  return (
    (typeof MessageEvent === 'function' && value instanceof MessageEvent) ||
    (value.constructor?.name === 'MessageEvent' && 'lastEventId' in value && 'data' in value)
  );
}

/**
 * The fields of a message object, or `undefined` for plain data. A message is:
 *
 * - a plain object whose own keys are all among `data`, `event`, `type`, `id`,
 *   `retry` and `comment`, with at least one of `data`, `comment` or `retry`
 *   (an {@link SseMessage}, or Nest's `MessageEvent` shape);
 * - a class instance whose own enumerable fields are all among those and
 *   include `data` (`new Tick(1)` with `type` and `data` fields);
 * - a DOM `MessageEvent` (`type` is the event name, `lastEventId` the id).
 *
 * Anything else — strings, numbers, arrays, objects or instances with other
 * fields — is plain data and becomes the `data` of one event.
 */
export function messageFields(value: unknown): SseMessageFields | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  const plain = proto === Object.prototype || proto === null;
  if (!plain && isDomMessageEvent(value)) {
    return { data: value.data, type: value.type, id: value.lastEventId === '' ? undefined : value.lastEventId };
  }
  let hasPayload = false;
  let hasData = false;
  // (for…in: no array per value; a plain object or an instance of a class has
  // no inherited enumerable fields unless its prototype was given some.)
  for (const key in value) {
    if (!Object.hasOwn(value, key)) {
      continue;
    }
    if (!MESSAGE_KEYS.has(key)) {
      return undefined;
    }
    hasData ||= key === 'data';
    hasPayload ||= key === 'data' || key === 'comment' || key === 'retry';
  }
  return (plain ? hasPayload : hasData) ? (value as SseMessageFields) : undefined;
}

/**
 * Whether a value is a message object rather than plain data (see
 * {@link messageFields} for the rule; the README states it too).
 *
 * @publicApi
 */
export function isSseMessage(value: unknown): value is SseMessage & { type?: string } {
  return messageFields(value) !== undefined;
}

/**
 * The id of a message, as text: the rule for ids given as numbers (Nest's
 * `MessageEvent` allows it) — a non-negative safe integer, written in decimal;
 * `-1`, `1.5`, `NaN` or `Infinity` are refused rather than sent as text no
 * id counter would make — and {@link assertId} for strings. Per-client
 * streams and `connect()`ed sources both take their ids through it.
 */
export function messageId(value: unknown, field = 'id'): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new SseEncodingError(messages.invalidNumericId(field, value));
    }
    return String(value);
  }
  assertId(value, field);
  return value;
}

/**
 * Validates one value written to a client and returns its frame parts.
 *
 * @param value a message object or plain data
 * @param defaultEvent the route's event name, used when the value names none
 * @param prepare applied to the event data before it is serialized
 */
export function toFrameParts(value: unknown, defaultEvent?: string, prepare: DataPreparer = unchanged): SseFrameParts {
  const message = messageFields(value);
  if (message === undefined) {
    return { event: defaultEvent, data: serializeData(prepare(value)) };
  }
  return messageParts(message, defaultEvent, prepare);
}

/** What is done to event data before it is serialized (the `serialize` option). */
export type DataPreparer = (data: unknown) => unknown;

const unchanged: DataPreparer = (data) => data;

function messageParts(value: SseMessageFields, defaultEvent: string | undefined, prepare: DataPreparer): SseFrameParts {
  const parts: SseFrameParts = {};
  const event = value.event ?? value.type;
  if (event !== undefined) {
    assertEventName(event, value.event !== undefined ? 'event' : 'type');
  }
  if (value.id !== undefined) {
    parts.id = messageId(value.id);
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
    parts.data = serializeData(prepare(value.data));
    parts.event = event ?? defaultEvent;
  } else if (event !== undefined || parts.id !== undefined) {
    throw new SseEncodingError(messages.messageWithoutData(event !== undefined ? '"event"' : '"id"'));
  }
  return parts;
}
