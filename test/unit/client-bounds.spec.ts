import { FrameBounds } from '../../lib/client/frame-bounds.js';
import { reconnectDelay, retryAfterDelay } from '../../lib/client/reconnect-delay.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('client: reconnectDelay() (backoff with jitter)', () => {
  it('is exactly retry after a stream that delivered events (no failure), capped by the cap', () => {
    expect(reconnectDelay(3000, 0, 30_000, () => 0.99)).toBe(3000);
    expect(reconnectDelay(90_000, 0, 30_000)).toBe(30_000);
  });

  it('after n failures: between half and all of retry × 2^(n−1), at both ends of the random draw', () => {
    for (const [failures, ceiling] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [5, 16_000],
    ]) {
      expect(reconnectDelay(1000, failures, 60_000, () => 0)).toBe(ceiling / 2);
      expect(reconnectDelay(1000, failures, 60_000, () => 1)).toBe(ceiling);
      const drawn = reconnectDelay(1000, failures, 60_000);
      expect(drawn).toBeGreaterThanOrEqual(ceiling / 2);
      expect(drawn).toBeLessThanOrEqual(ceiling);
    }
  });

  it('never passes the cap, however many failures (no overflow to Infinity or NaN)', () => {
    for (const failures of [6, 30, 1000, Number.MAX_SAFE_INTEGER]) {
      const delay = reconnectDelay(1000, failures, 30_000, () => 1);
      expect(delay).toBe(30_000);
      expect(reconnectDelay(1000, failures, 30_000, () => 0)).toBe(15_000);
    }
  });

  it('backs off from 1 ms when the server said retry: 0 (never a busy loop on failures)', () => {
    expect(reconnectDelay(0, 0, 30_000)).toBe(0); // a normal end: as the server said
    expect(reconnectDelay(0, 1, 30_000, () => 1)).toBe(1);
    expect(reconnectDelay(0, 11, 30_000, () => 1)).toBe(1024);
    expect(reconnectDelay(0, 30, 30_000, () => 1)).toBe(30_000);
  });

  it('differs between clients that failed at the same moment (the jitter is used)', () => {
    const draws = new Set(Array.from({ length: 50 }, () => reconnectDelay(1000, 4, 30_000)));
    expect(draws.size).toBeGreaterThan(10);
  });
});

describe('client: retryAfterDelay() (Retry-After)', () => {
  it('reads delay-seconds, plus at most 10 % of jitter', () => {
    expect(retryAfterDelay('2', 0, () => 0)).toBe(2000);
    expect(retryAfterDelay(' 2 ', 0, () => 1)).toBe(2200);
    expect(retryAfterDelay('0', 0, () => 1)).toBe(0);
  });

  it('reads an HTTP date (in the past: at once)', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryAfterDelay('Wed, 21 Oct 2015 07:28:05 GMT', now, () => 0)).toBe(5000);
    expect(retryAfterDelay('Wed, 21 Oct 2015 07:27:00 GMT', now, () => 0)).toBe(0);
  });

  it('is undefined when absent or unreadable (the backoff applies then)', () => {
    for (const header of [null, '', 'soon', '-5', '1.5']) {
      expect(retryAfterDelay(header)).toBeUndefined();
    }
  });
});

describe('client: FrameBounds (maxEventBytes before parsing)', () => {
  it('lets through lines and events up to the bound, whatever their count', () => {
    const bounds = new FrameBounds(10);
    expect(bounds.scan(bytes('data: abcd\n\n'))).toBeUndefined(); // 10 bytes of line
    for (let i = 0; i < 1000; i++) {
      expect(bounds.scan(bytes(':\n\nid: 1\ndata\n\n'))).toBeUndefined();
    }
  });

  it('reports a line over the bound, even when it comes a byte at a time and never ends', () => {
    const bounds = new FrameBounds(10);
    const overflows = Array.from('data: 0123456789', (c) => bounds.scan(bytes(c)));
    expect(overflows.filter(Boolean)).not.toHaveLength(0);
    expect(overflows.find(Boolean)).toEqual({ what: 'line', bytes: 11 });
  });

  it('reports an event whose lines are each short but together over the bound (no blank line between)', () => {
    const bounds = new FrameBounds(10);
    expect(bounds.scan(bytes('data: a\ndata: b\n'))).toEqual({ what: 'event', bytes: 14 });
  });

  it('reports an event over the bound even when its blank line is in the same chunk', () => {
    const bounds = new FrameBounds(10);
    expect(bounds.scan(bytes('data: 0123456789\n\ndata: x\n\n'))).toEqual({ what: 'line', bytes: 16 });
  });

  it('counts CRLF and CR line ends as one, also when CR and LF arrive in two chunks', () => {
    const bounds = new FrameBounds(8);
    // Each event is 7 bytes of text; with the line ends miscounted as blank lines or as text, this would differ.
    expect(bounds.scan(bytes('data: a\r'))).toBeUndefined();
    expect(bounds.scan(bytes('\n\r\n'))).toBeUndefined(); // CRLF (split), then CRLF: a blank line
    expect(bounds.scan(bytes('data: b\r\rdata: c\r\r'))).toBeUndefined();
    expect(bounds.scan(bytes('data: d\rdata'))).toEqual({ what: 'event', bytes: 11 });
  });

  it('counts bytes, not characters (UTF-8)', () => {
    const bounds = new FrameBounds(8);
    expect(bounds.scan(bytes('data: é'))).toBeUndefined(); // 8 bytes
    expect(new FrameBounds(8).scan(bytes('data: éé'))).toEqual({ what: 'line', bytes: 10 });
  });
});
