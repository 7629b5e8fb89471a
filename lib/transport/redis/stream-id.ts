/**
 * Redis Stream entry ids, `<ms>-<seq>`: two unsigned 64-bit integers. Ids are
 * compared as numbers, without converting them (they may pass 2^53).
 */

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** The canonical form of a stream id (no leading zeros), or `undefined` if `id` is not one. */
export function parseStreamId(id: string): string | undefined {
  const match = STREAM_ID.exec(id);
  if (!match) {
    return undefined;
  }
  const ms = stripZeros(match[1]);
  const seq = stripZeros(match[2]);
  if (exceeds64Bits(ms) || exceeds64Bits(seq)) {
    return undefined;
  }
  return `${ms}-${seq}`;
}

/** Orders two canonical stream ids. */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  return compareDecimal(a.slice(0, da), b.slice(0, db)) || compareDecimal(a.slice(da + 1), b.slice(db + 1));
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) {
    return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function stripZeros(digits: string): string {
  const stripped = digits.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

const MAX_U64 = '18446744073709551615';

function exceeds64Bits(digits: string): boolean {
  return compareDecimal(digits, MAX_U64) > 0;
}
