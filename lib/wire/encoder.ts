/**
 * The event-stream encoder: pure functions that validate the parts of one SSE
 * frame and turn them into its exact text. No Nest, no rxjs, no sockets.
 *
 * The WHATWG rules it follows (see SSE-RULES.md): LF line endings only, every
 * field written as `name: value` with exactly one space, data split on CRLF, CR
 * and LF into one `data:` line per piece, nothing trimmed, no BOM, event names
 * and ids without CR/LF, ids without NUL, retry a non-negative integer.
 */
import * as messages from '../sse.messages.js';

/** Raised for input that cannot be written as SSE; the message names the field. */
export class SseEncodingError extends TypeError {
  override name = 'SseEncodingError';
}

/** The fields of one frame, each already validated and `data` already serialized. */
export interface SseFrameParts {
  comment?: string;
  event?: string;
  id?: string;
  retry?: number;
  /** Serialized data; `undefined` writes no `data:` line at all. */
  data?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;
const LINE_BREAKS = /\r\n|\r|\n/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function fail(message: string): never {
  throw new SseEncodingError(message);
}

function assertWellFormed(field: string, value: string): void {
  if (!value.isWellFormed()) {
    fail(messages.lonelySurrogate(field, value));
  }
}

/** An event name: a string without CR or LF. */
export function assertEventName(value: unknown, field = 'event name'): asserts value is string {
  if (typeof value !== 'string') {
    fail(messages.notAString(field, value));
  }
  if (LINE_BREAK.test(value)) {
    fail(messages.lineBreakInField(field, value, 'Use a name without line breaks.'));
  }
  assertWellFormed(field, value);
}

/**
 * An id: printable ASCII without a leading or trailing space — what comes back
 * intact in `Last-Event-ID` (HTTP trims header values) — so no CR, LF or NUL.
 */
export function assertId(value: unknown, field = 'id'): asserts value is string {
  if (typeof value !== 'string') {
    fail(messages.notAString(field, value));
  }
  if (PRINTABLE_ASCII.test(value)) {
    if (value.startsWith(' ') || value.endsWith(' ')) {
      fail(messages.spaceAtIdEdge(field, value));
    }
    return;
  }
  if (LINE_BREAK.test(value)) {
    fail(messages.lineBreakInField(field, value, 'Use an id without line breaks.'));
  }
  if (value.includes('\0')) {
    fail(messages.nulInId(field, value));
  }
  fail(messages.nonAsciiId(field, value));
}

/** A reconnection time: a non-negative integer of milliseconds. */
export function assertRetry(value: unknown, field = 'retry'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(messages.invalidRetry(field, value));
  }
}

/**
 * Turns event data into the text of its `data:` lines: strings as they are,
 * numbers and booleans as text, everything else as JSON.
 */
export function serializeData(value: unknown, field = 'data'): string {
  switch (typeof value) {
    case 'string':
      assertWellFormed(field, value);
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return fail(messages.unencodableData(field, value, 'JSON cannot encode a BigInt; convert it to a string or number first'));
    case 'undefined':
      return fail(messages.unencodableData(field, value, 'undefined cannot be sent; use null or "" for an empty value'));
    case 'function':
    case 'symbol':
      return fail(messages.unencodableData(field, value, `a ${typeof value} cannot be encoded as JSON`));
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return fail(messages.unencodableData(field, value, `JSON.stringify failed (${reason})`));
  }
  if (json === undefined) {
    // e.g. an object whose toJSON() returns undefined
    return fail(messages.unencodableData(field, value, 'JSON.stringify returned nothing for it'));
  }
  return json;
}

/** `data: …\n` lines for serialized data; one line per CRLF-, CR- or LF-separated piece. */
export function encodeDataLines(text: string): string {
  // Most data (all JSON) has no line break: skip the regular expression.
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) {
    return `data: ${text}\n`;
  }
  return `data: ${text.replace(LINE_BREAKS, '\ndata: ')}\n`;
}

/**
 * The part of a channel event's frame that every client gets alike: its
 * `id:` line, its `data:` lines and the blank line that ends the frame. Kept
 * once per event; {@link withEventName} puts each route's event name in front.
 */
export function encodeEventBody(id: string, data: string): string {
  return `id: ${id}\n${encodeDataLines(data)}\n`;
}

/** A whole frame from an event body: `event: <name>` first, unless the name is empty. */
export function withEventName(event: string, body: string): string {
  return event === '' ? body : `event: ${event}\n${body}`;
}

/**
 * A channel's event on a stream that carries many channels: `event: <channel>`
 * (`<channel>#<name>` for an event with a name of its own, as the channel's
 * reset, end and presence events), the stream's cursor as its `id:` (none:
 * the client's last id stands), then the event's data lines.
 */
export function encodeMultiplexedFrame(channel: string, event: string | undefined, cursor: string | undefined, body: string): string {
  // (A body starts with its channel's own `id:` line.)
  const id = cursor === undefined ? '' : `id: ${cursor}\n`;
  return `event: ${event === undefined ? channel : `${channel}#${event}`}\n${id}${body.slice(body.indexOf('\n') + 1)}`;
}

/** `: …\n` lines for a comment; every line gets its own colon. */
export function encodeComment(text: string): string {
  assertWellFormed('comment', text);
  return `: ${text.replace(LINE_BREAKS, '\n: ')}\n`;
}

/** The whole frame, ending in the blank line that dispatches it. */
export function encodeFrame(parts: SseFrameParts): string {
  let frame = parts.comment === undefined ? '' : encodeComment(parts.comment);
  if (parts.event !== undefined && parts.event !== '') {
    frame += `event: ${parts.event}\n`;
  }
  if (parts.id !== undefined) {
    frame += `id: ${parts.id}\n`;
  }
  if (parts.retry !== undefined) {
    frame += `retry: ${parts.retry}\n`;
  }
  if (parts.data !== undefined) {
    frame += encodeDataLines(parts.data);
  }
  return `${frame}\n`;
}

/** A frame that only sets the client's reconnection time. */
export function encodeRetry(retry: number): string {
  assertRetry(retry);
  return `retry: ${retry}\n\n`;
}

/** The keep-alive written between frames: an empty comment, then a blank line. */
export const HEARTBEAT_FRAME = ':\n\n';
