/**
 * The cursor of a stream on many channels: a position in one sequence across
 * all channels (`seq`), named by the sequence's epoch — `<epoch>.<seq in base
 * 36>`, the `id:` of a multiplexed frame and the `Last-Event-ID` a client
 * sends back (docs/design/many-channels.md). A cursor of another sequence
 * (another process, before a restart) has another epoch.
 */
export interface StreamCursor {
  /** Names the sequence: 1–32 characters `[0-9a-z]`. */
  readonly epoch: string;
  /** The position in it: 0 … `Number.MAX_SAFE_INTEGER`. */
  readonly seq: number;
}

/** The longest cursor text read; anything longer is refused before it is looked at. */
export const MAX_STREAM_CURSOR_LENGTH = 64;

/** An epoch, a dot, a seq in base 36 without leading zeros (`0` alone). */
const CURSOR = /^([0-9a-z]{1,32})\.(0|[1-9a-z][0-9a-z]{0,10})$/;

/** `Number.MAX_SAFE_INTEGER` in base 36: a seq of as many digits is compared to it as text (digit order is ASCII order). */
const MAX_SEQ_TEXT = Number.MAX_SAFE_INTEGER.toString(36);

/** The text of a cursor: `<epoch>.<seq in base 36>`. */
export function formatStreamCursor(epoch: string, seq: number): string {
  return `${epoch}.${seq.toString(36)}`;
}

/**
 * The cursor a client sent, or `undefined` when it is not one the server can
 * read: exactly what {@link formatStreamCursor} writes for a valid epoch and
 * seq, nothing else (no other characters, no upper case, no leading zeros, no
 * seq beyond `Number.MAX_SAFE_INTEGER`).
 */
export function parseStreamCursor(text: string | undefined): StreamCursor | undefined {
  if (typeof text !== 'string' || text.length > MAX_STREAM_CURSOR_LENGTH) {
    return undefined;
  }
  const match = CURSOR.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, epoch, digits] = match;
  if (digits.length > MAX_SEQ_TEXT.length || (digits.length === MAX_SEQ_TEXT.length && digits > MAX_SEQ_TEXT)) {
    return undefined;
  }
  return { epoch, seq: parseInt(digits, 36) };
}
