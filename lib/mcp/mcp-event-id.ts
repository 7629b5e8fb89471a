import { createHash, timingSafeEqual } from 'node:crypto';

/** The parts of an MCP event id: `<tag>.<stream id in base64url>.<channel id>`. */
export interface McpEventId {
  /** Names the session's stream: see {@link streamTag}. */
  readonly tag: string;
  /** The SDK's stream id. */
  readonly streamId: string;
  /** The event's id in its channel. */
  readonly channelId: string;
}

/** The longest event id read; a longer `Last-Event-ID` is refused before it is looked at. */
export const MAX_MCP_EVENT_ID_LENGTH = 512;
const TAG_LENGTH = 22; // (132 bits of SHA-256, base64url)
const TAG = /^[A-Za-z0-9_-]{22}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The tag of one stream of one session (and identity): 22 base64url
 * characters of SHA-256 over the three. It names the stream's channel and
 * starts each of its event ids; nobody works it out without the session id,
 * so no session's ids tell anything about another's.
 */
export function streamTag(sessionId: string, identity: string, streamId: string): string {
  // (Each part with its length first: no two triples hash the same text.)
  const text = [sessionId, identity, streamId].map((part) => `${part.length}:${part}`).join('');
  return createHash('sha256').update(text).digest('base64url').slice(0, TAG_LENGTH);
}

export function formatMcpEventId(tag: string, streamId: string, channelId: string): string {
  return `${tag}.${Buffer.from(streamId, 'utf8').toString('base64url')}.${channelId}`;
}

/** The parts of an id {@link formatMcpEventId} wrote, or `undefined` for anything else. */
export function parseMcpEventId(text: unknown): McpEventId | undefined {
  if (typeof text !== 'string' || text.length > MAX_MCP_EVENT_ID_LENGTH) {
    return undefined;
  }
  const first = text.indexOf('.');
  const second = text.indexOf('.', first + 1);
  if (first === -1 || second === -1 || second === text.length - 1) {
    return undefined;
  }
  const tag = text.slice(0, first);
  const stream = text.slice(first + 1, second);
  if (!TAG.test(tag) || !BASE64URL.test(stream)) {
    return undefined;
  }
  const streamId = Buffer.from(stream, 'base64url').toString('utf8');
  // (Only the one spelling formatMcpEventId writes.)
  if (Buffer.from(streamId, 'utf8').toString('base64url') !== stream) {
    return undefined;
  }
  return { tag, streamId, channelId: text.slice(second + 1) };
}

/** Whether `tag` is the tag of that stream of that session: compared in constant time. */
export function isTagOf(tag: string, expected: string): boolean {
  return tag.length === expected.length && timingSafeEqual(Buffer.from(tag), Buffer.from(expected));
}
