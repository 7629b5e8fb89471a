import { MAX_STREAM_CURSOR_LENGTH, formatStreamCursor, parseStreamCursor } from '../../lib/model/stream-cursor.js';
import { StreamSequence } from '../../lib/feed/sequence.js';

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const LONGEST_EPOCH = 'z'.repeat(32);

describe('stream cursors: "<epoch>.<seq in base 36>"', () => {
  it('round-trips every epoch of 1–32 characters [0-9a-z] and every seq 0 … MAX_SAFE_INTEGER', () => {
    const epochs = ['0', 'a', 'z9', 'lz3k2m1abcd0', LONGEST_EPOCH, '0123456789abcdefghijklmnopqrstuv'];
    const seqs = [0, 1, 35, 36, 37, 1295, 1296, 123_456_789, 2 ** 32, 2 ** 52, MAX_SEQ - 1, MAX_SEQ];
    for (const epoch of epochs) {
      for (const seq of seqs) {
        const text = formatStreamCursor(epoch, seq);
        expect([text, parseStreamCursor(text)]).toEqual([text, { epoch, seq }]);
      }
    }
    expect(formatStreamCursor('abc', 0)).toBe('abc.0');
    expect(formatStreamCursor('abc', 36)).toBe('abc.10');
    expect(formatStreamCursor('abc', MAX_SEQ)).toBe('abc.2gosa7pa2gv');
  });

  it('fits the longest cursor within MAX_STREAM_CURSOR_LENGTH', () => {
    const longest = formatStreamCursor(LONGEST_EPOCH, MAX_SEQ);
    expect(longest.length).toBe(44);
    expect(longest.length).toBeLessThanOrEqual(MAX_STREAM_CURSOR_LENGTH);
    expect(MAX_STREAM_CURSOR_LENGTH).toBe(64);
  });

  it('refuses any other text: a cursor the server cannot read', () => {
    const hostile: (string | undefined)[] = [
      undefined,
      '',
      '.',
      'abc',
      'abc.',
      '.1',
      'abc..1',
      'a.b.1',
      'abc.1.',
      '.abc.1',
      'abc.01', // leading zero
      'abc.00',
      'abc.-1',
      'abc.+1',
      '-abc.1',
      'ab-c.1',
      'ab_c.1',
      'ABC.1',
      'abc.A',
      'Abc.1',
      'abc.1 ',
      ' abc.1',
      'ab c.1',
      'abc.1\n',
      'abc\0.1',
      'abc.1\0',
      'abcé.1',
      'abc.١', // an Arabic-Indic digit
      'ａbc.1', // full width
      'abc.1_0',
      'abc.0x1',
      'abc.1.5',
      'abc.Infinity',
      'abc.NaN',
      'z'.repeat(33) + '.1', // epoch too long
      'abc.2gosa7pa2gw', // MAX_SAFE_INTEGER + 1
      'abc.zzzzzzzzzzz',
      'abc.100000000000', // 12 digits
      'abc.' + '1'.repeat(60),
      'a'.repeat(MAX_STREAM_CURSOR_LENGTH + 1),
      'a'.repeat(32) + '.' + '0'.repeat(100),
      'x'.repeat(100_000) + '.1',
    ];
    for (const text of hostile) {
      expect([text, parseStreamCursor(text)]).toEqual([text, undefined]);
    }
    // Not a string at all (a header sent twice reaches the server as an array).
    expect(parseStreamCursor(['abc.1'] as unknown as string)).toBeUndefined();
  });

  it('reads the largest values at their bounds', () => {
    expect(parseStreamCursor(`${LONGEST_EPOCH}.2gosa7pa2gv`)).toEqual({ epoch: LONGEST_EPOCH, seq: MAX_SEQ });
    expect(parseStreamCursor('abc.2gosa7pa2gu')).toEqual({ epoch: 'abc', seq: MAX_SEQ - 1 });
    expect(parseStreamCursor('abc.zzzzzzzzzz')).toEqual({ epoch: 'abc', seq: 36 ** 10 - 1 });
    expect(parseStreamCursor('0.0')).toEqual({ epoch: '0', seq: 0 });
    expect(parseStreamCursor('abc.1e3')).toEqual({ epoch: 'abc', seq: 1803 }); // base 36, not an exponent
  });
});

describe('StreamSequence', () => {
  it('counts 1, 2, 3 … from 0', () => {
    const sequence = new StreamSequence();
    expect(sequence.current).toBe(0);
    expect([sequence.next(), sequence.next(), sequence.next()]).toEqual([1, 2, 3]);
    expect(sequence.current).toBe(3);
  });

  it('has an epoch of its own, of at most 20 characters [0-9a-z]: its cursors read back, another sequence\'s are not its own', () => {
    const sequences = Array.from({ length: 1000 }, () => new StreamSequence());
    const epochs = new Set(sequences.map((s) => s.epoch));
    expect(epochs.size).toBe(sequences.length);
    for (const { epoch } of sequences) {
      expect(epoch).toMatch(/^[0-9a-z]{1,20}$/);
    }
    const [a, b] = sequences;
    const cursor = parseStreamCursor(formatStreamCursor(a.epoch, a.next()));
    expect(cursor).toEqual({ epoch: a.epoch, seq: 1 });
    expect(cursor?.epoch).not.toBe(b.epoch);
  });
});
