import { compareStreamIds, parseStreamId } from './stream-id.js';

/**
 * The ids the Redis transport gives out: `<ms>-<seq>.<tag>`, the Stream
 * entry's id and its channel's tag, e.g. `1732400000000-0.k3f9x`. Stream ids
 * are unique only within one Stream; the tag — 5 base-36 characters of a hash
 * of the Stream's key (key prefix and channel name) — ties an id to its
 * channel, so that an id of one channel presented to another is an id that
 * channel never gave out (1 chance in 60 million that two channels share a
 * tag). `.` is never part of a stream id; the whole id is printable ASCII
 * without spaces.
 */

const TAG_LENGTH = 5;
const TAG_RANGE = 36 ** TAG_LENGTH;
const CHANNEL_ID = /^(\d{1,20}-\d{1,20})(?:\.([0-9a-z]{5}))?$/;

/** The tag of the ids of the Stream `key`: FNV-1a (32 bits) of the key, in 5 base-36 characters. */
export function channelTag(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  }
  return (hash % TAG_RANGE).toString(36).padStart(TAG_LENGTH, '0');
}

/** The id a Stream entry of the channel with `tag` is known by. */
export function withTag(streamId: string, tag: string): string {
  return `${streamId}.${tag}`;
}

/** The Stream id in a channel id (an id without a tag, e.g. `0-0`, as it is). */
export function streamIdOf(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

/**
 * The canonical form of `id` as an id of the channel with `tag`, or
 * `undefined` when the channel never gave it out: not `<ms>-<seq>.<tag>`,
 * or another channel's tag, or no tag.
 */
export function parseChannelId(id: string, tag: string): string | undefined {
  const match = CHANNEL_ID.exec(id);
  if (!match || match[2] !== tag) {
    return undefined;
  }
  const streamId = parseStreamId(match[1]);
  return streamId === undefined ? undefined : withTag(streamId, tag);
}

/**
 * The canonical form of a caller's id for a publish to the channel with
 * `tag`: a Stream id above `0-0`, without a tag or with the channel's own;
 * `undefined` for anything else (another channel's id included).
 */
export function parseCallerId(id: string, tag: string): string | undefined {
  const match = CHANNEL_ID.exec(id);
  if (!match || (match[2] !== undefined && match[2] !== tag)) {
    return undefined;
  }
  const streamId = parseStreamId(match[1]);
  return streamId === undefined || streamId === '0-0' ? undefined : withTag(streamId, tag);
}

/**
 * Orders two canonical channel ids by their Stream ids (an id without a tag,
 * such as `0-0`, sorts with them), then by tag: zero only for equal ids.
 */
export function compareChannelIds(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  const byStreamId = compareStreamIds(streamIdOf(a), streamIdOf(b));
  if (byStreamId !== 0) {
    return byStreamId;
  }
  return a < b ? -1 : 1;
}
