const LF = 10;
const CR = 13;

/** A line or an event that passed the bound: its size so far, in bytes. */
export interface Overflow {
  readonly what: 'line' | 'event';
  readonly bytes: number;
}

/**
 * Watches the raw bytes of an event stream, before they are decoded, for a
 * line or an event (the lines up to a blank line) larger than `max` bytes —
 * what a parser would otherwise buffer without bound. UTF-8 never has CR or
 * LF inside a multi-byte character, so the bytes can be split anywhere.
 */
export class FrameBounds {
  private line = 0;
  private event = 0;
  /** The last byte seen was a CR (a LF right after it ends no other line). */
  private afterCr = false;

  constructor(private readonly max: number) {}

  /** Counts `chunk`; the first overflow in it, if any (nothing of that chunk should be parsed then). */
  scan(chunk: Uint8Array): Overflow | undefined {
    let { line, event, afterCr } = this;
    const max = this.max;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) {
        line++;
        event++;
        afterCr = false;
        continue;
      }
      if (byte === LF && afterCr) {
        afterCr = false;
        continue;
      }
      afterCr = byte === CR;
      if (event > max) {
        return { what: line > max ? 'line' : 'event', bytes: line > max ? line : event };
      }
      if (line === 0) {
        event = 0; // a blank line: the event is dispatched
      }
      line = 0;
    }
    this.line = line;
    this.event = event;
    this.afterCr = afterCr;
    return event > max ? { what: line > max ? 'line' : 'event', bytes: line > max ? line : event } : undefined;
  }
}
