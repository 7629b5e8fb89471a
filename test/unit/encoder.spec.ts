import {
  assertEventName,
  assertId,
  assertRetry,
  encodeComment,
  encodeDataLines,
  encodeFrame,
  encodeRetry,
  HEARTBEAT_FRAME,
  serializeData,
  SseEncodingError,
} from '../../lib/wire/encoder.js';

describe('encoder (byte for byte, per SSE-RULES.md)', () => {
  describe('frames', () => {
    it('writes `field: value` lines with one space and LF endings, then a blank line', () => {
      expect(encodeFrame({ event: 'news', id: '7', data: 'hello' })).toBe('event: news\nid: 7\ndata: hello\n\n');
    });

    it('uses LF only: no CR anywhere in a frame', () => {
      const frame = encodeFrame({ event: 'a', id: 'b', retry: 10, comment: 'x\r\ny', data: 'p\r\nq\rr' });
      expect(frame).not.toContain('\r');
      expect(frame).toBe(': x\n: y\nevent: a\nid: b\nretry: 10\ndata: p\ndata: q\ndata: r\n\n');
    });

    it('splits data on CRLF, CR and LF into one data line each', () => {
      expect(encodeDataLines('a\r\nb')).toBe('data: a\ndata: b\n');
      expect(encodeDataLines('a\rb')).toBe('data: a\ndata: b\n');
      expect(encodeDataLines('a\nb')).toBe('data: a\ndata: b\n');
      expect(encodeDataLines('a\n\nb')).toBe('data: a\ndata: \ndata: b\n');
      expect(encodeDataLines('a\r\n\rb\n')).toBe('data: a\ndata: \ndata: b\ndata: \n');
    });

    it('never trims: a leading space gets a second one, trailing spaces and tabs stay', () => {
      expect(encodeFrame({ data: ' x' })).toBe('data:  x\n\n');
      expect(encodeFrame({ data: 'x \t' })).toBe('data: x \t\n\n');
      expect(encodeFrame({ data: '  ' })).toBe('data:   \n\n');
    });

    it('keeps "" (an empty event) apart from no data (no event)', () => {
      expect(encodeFrame({ data: '' })).toBe('data: \n\n');
      expect(encodeFrame({ comment: 'only a comment' })).toBe(': only a comment\n\n');
      expect(encodeFrame({ retry: 0 })).toBe('retry: 0\n\n');
    });

    it('writes no event line for an empty event name (clients see `message`)', () => {
      expect(encodeFrame({ event: '', data: 'x' })).toBe('data: x\n\n');
    });

    it('writes an empty id as `id: ` (clears the client\'s last id)', () => {
      expect(encodeFrame({ id: '', data: 'x' })).toBe('id: \ndata: x\n\n');
    });

    it('gives every line of a multi-line comment its own colon', () => {
      expect(encodeComment('one\ntwo\r\nthree\rfour')).toBe(': one\n: two\n: three\n: four\n');
    });

    it('writes UTF-8 text without a BOM', () => {
      const bytes = Buffer.from(encodeFrame({ data: 'héllo 👋 世界' }), 'utf8');
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
      expect(bytes.toString('utf8')).toBe('data: héllo 👋 世界\n\n');
      expect(Buffer.from(encodeFrame({ data: 'é' }))).toEqual(Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xc3, 0xa9, 0x0a, 0x0a]));
    });

    it('heartbeat and retry frames', () => {
      expect(HEARTBEAT_FRAME).toBe(':\n\n');
      expect(encodeRetry(3000)).toBe('retry: 3000\n\n');
      expect(() => encodeRetry(-1)).toThrow(SseEncodingError);
    });
  });

  describe('data', () => {
    it('sends strings as they are, numbers and booleans as text, the rest as JSON', () => {
      expect(serializeData('plain "text"')).toBe('plain "text"');
      expect(serializeData(42)).toBe('42');
      expect(serializeData(-1.5)).toBe('-1.5');
      expect(serializeData(true)).toBe('true');
      expect(serializeData(null)).toBe('null');
      expect(serializeData({ a: 1, b: 'x\ny' })).toBe('{"a":1,"b":"x\\ny"}');
      expect(serializeData([1, 'two'])).toBe('[1,"two"]');
    });

    it('JSON of an object with newlines in strings stays on one data line', () => {
      expect(encodeFrame({ data: serializeData({ text: 'a\r\nb' }) })).toBe('data: {"text":"a\\r\\nb"}\n\n');
    });

    it('refuses values JSON cannot encode, naming the field and value', () => {
      expect(() => serializeData(10n)).toThrow(/Invalid SSE data 10n: JSON cannot encode a BigInt/);
      expect(() => serializeData({ n: 1n })).toThrow(/Invalid SSE data .*BigInt/);
      expect(() => serializeData(undefined)).toThrow(/Invalid SSE data undefined: undefined cannot be sent/);
      expect(() => serializeData(() => 1)).toThrow(/Invalid SSE data \[function anonymous\]: a function cannot be encoded/);
      expect(() => serializeData(Symbol('s'))).toThrow(/a symbol cannot be encoded/);
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      expect(() => serializeData(circular)).toThrow(/Invalid SSE data .*JSON\.stringify failed \(.*circular/i);
      expect(() => serializeData({ toJSON: () => undefined })).toThrow(/JSON.stringify returned nothing/);
    });

    it('refuses strings with lone surrogates (they would turn into U+FFFD)', () => {
      expect(() => serializeData('a\uD800b')).toThrow(/Invalid SSE data "a\\ud800b": it contains a lone UTF-16 surrogate/);
      expect(() => encodeComment('\uDC00')).toThrow(/Invalid SSE comment/);
      expect(serializeData('ok 👋')).toBe('ok 👋');
    });

    it('JSON escapes lone surrogates inside objects, so they arrive intact', () => {
      expect(serializeData({ s: '\uD800' })).toBe('{"s":"\\ud800"}');
    });

    it('throws SseEncodingError (a TypeError)', () => {
      expect(() => serializeData(1n)).toThrow(SseEncodingError);
      expect(() => serializeData(1n)).toThrow(TypeError);
    });
  });

  describe('fields', () => {
    it('event names: no CR or LF', () => {
      expect(() => assertEventName('a\nb')).toThrow(/Invalid SSE event name "a\\nb": it must not contain CR or LF/);
      expect(() => assertEventName('a\rb', 'event')).toThrow(/Invalid SSE event "a\\rb"/);
      expect(() => assertEventName(5)).toThrow(/must be a string/);
      expect(() => assertEventName('\uD800')).toThrow(/lone UTF-16 surrogate/);
      expect(() => assertEventName('news:update é')).not.toThrow();
    });

    it('ids: no CR, LF or NUL, printable ASCII', () => {
      expect(() => assertId('1\n2')).toThrow(/Invalid SSE id "1\\n2": it must not contain CR or LF/);
      expect(() => assertId('1\r')).toThrow(/must not contain CR or LF/);
      expect(() => assertId('a\0b')).toThrow(/Invalid SSE id "a\\u0000b": it must not contain NUL/);
      expect(() => assertId('é')).toThrow(/printable ASCII/);
      expect(() => assertId(7)).toThrow(/must be a string/);
      expect(() => assertId('abc-123_XYZ.~')).not.toThrow();
      expect(() => assertId('')).not.toThrow();
    });

    it('ids: no leading or trailing space (HTTP trims the Last-Event-ID the client sends back)', () => {
      for (const id of [' x', 'x ', '  ', ' ', ' a b ']) {
        expect(() => assertId(id)).toThrow(SseEncodingError);
        expect(() => assertId(id)).toThrow(/^Invalid SSE id ".*": it must not start or end with a space \(HTTP trims the Last-Event-ID header/);
      }
      expect(() => assertId('a b')).not.toThrow();
      expect(() => assertId('a  b')).not.toThrow();
    });

    it('retry: a non-negative integer', () => {
      for (const bad of [-1, 1.5, NaN, Infinity, '100', null]) {
        expect(() => assertRetry(bad)).toThrow(/Invalid SSE retry .*non-negative integer/);
      }
      expect(() => assertRetry(0)).not.toThrow();
      expect(() => assertRetry(5000)).not.toThrow();
    });
  });
});
