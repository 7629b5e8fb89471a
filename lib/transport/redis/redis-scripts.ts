import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (EVAL the first time a server sees it). */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Publishes one event: appends it to the channel's Stream, which assigns the
 * id, trims the Stream to the history bound, renews its expiry, and publishes
 * `<id>\n<event>\n<data>` to the channel's Pub/Sub channel — atomically, so
 * that every instance receives the events in id order.
 *
 * KEYS[1] the Stream. ARGV: Pub/Sub channel, id or '*', trim mode ('=' or
 * '~'), history, ttl ms (0: none), event name ('' for none), data.
 */
export const PUBLISH_SCRIPT = script(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], ARGV[4], ARGV[2], 'e', ARGV[6], 'd', ARGV[7])
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[6] .. '\\n' .. ARGV[7])
return id
`);

/**
 * Reads a channel's Stream: the newest id it gave out, the newest id it
 * trimmed, and up to ARGV[2] entries after ARGV[1] (none when ARGV[2] is 0).
 * An empty reply: there is no such Stream.
 *
 * KEYS[1] the Stream. ARGV: after id, count.
 */
export const READ_SCRIPT = script(`
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if type(info) ~= 'table' or info.err then
  return {}
end
local last, trimmed = '0-0', '0-0'
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    last = info[i + 1]
  elseif info[i] == 'max-deleted-entry-id' then
    trimmed = info[i + 1]
  end
end
if ARGV[2] == '0' then
  return {last, trimmed, {}}
end
return {last, trimmed, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
`);
