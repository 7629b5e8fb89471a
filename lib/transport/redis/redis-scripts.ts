import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (EVAL the first time a server sees it). */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * The script for Redis Cluster's sharded Pub/Sub: SPUBLISH and PUBSUB
 * SHARDNUMSUB where `code` has PUBLISH and PUBSUB NUMSUB (a shard channel
 * of the same name as the key the script is given: in its slot).
 */
export function sharded(code: RedisScript): RedisScript {
  return script(code.source.replaceAll("'PUBSUB', 'NUMSUB'", "'PUBSUB', 'SHARDNUMSUB'").replaceAll("redis.call('PUBLISH'", "redis.call('SPUBLISH'"));
}

/** Runs a script by its hash, sending it first when the server does not know it (e.g. after a restart). */
export async function runScript(
  commands: { call(command: string, ...args: (string | number)[]): Promise<unknown> },
  code: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await commands.call('EVALSHA', code.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) {
      throw error;
    }
    return commands.call('EVAL', code.source, keys.length, ...keys, ...args);
  }
}

/**
 * Publishes one event: appends it to the channel's Stream, which assigns the
 * id, trims the Stream to the history bound, and publishes
 * `<id>\n<event>\n<audience>\n<seq> <epoch>\n<data>` to the channel's Pub/Sub
 * channel — atomically, so that every instance receives the events in id
 * order. Refused ('ENDED') when the Stream's newest entry is the end event:
 * the channel has ended.
 *
 * Every event also gets the next position `seq` in one sequence across all
 * channels (the hash KEYS[2]: `n` the newest position, `e` the epoch that
 * names the sequence, set from ARGV[11] when the hash is missing, e.g. after
 * Redis lost its data): scripts run one at a time, so `seq` order is the
 * order of publishing on every instance. The entry keeps `s` (its seq), `q`
 * (the epoch) and `p`: the seq of the channel's previous event in this
 * sequence — `b<n>` when the Stream is new (born when the sequence was at
 * n: where KEYS[3] says an instance started watching the channel, see
 * WATCH_SCRIPT, or now), `0` when the previous event is of another sequence,
 * `?` when the Stream kept none (history 0) — so that a reader can tell
 * whether events trimmed from the Stream were newer than a position
 * (MISSED_SINCE_SCRIPT).
 *
 * With a ttl, a Stream always has an expiry: a publish sets one only if it
 * has none (a new Stream) — `ttl + lease` when an instance is subscribed to
 * the channel (it renews it: see history-expiry.ts), else `ttl` — and never
 * changes one it has: publishes neither renew it nor shorten what the
 * subscribed instances keep (the countdown of `ttl` starts when the last
 * instance unsubscribes: EXPIRE_UNWATCHED_SCRIPT).
 *
 * KEYS[1] the Stream, KEYS[2] the sequence, KEYS[3] the channel's watch mark. ARGV: Pub/Sub channel, id or
 * '*', trim mode ('=' or '~'), history, ttl ms (0: none), event name (''
 * for none), data, the end event's name, the audience as JSON ('' for
 * everyone), the lease ms, an epoch for a new sequence. The ids are Stream
 * ids, without the channel's tag (the transport adds it, see channel-id.ts).
 */
export const PUBLISH_SCRIPT = script(`
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prevSeq, prevEpoch
if #newest > 0 then
  local fields = newest[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'e' and fields[i + 1] == ARGV[8] then
      return redis.error_reply('ENDED the channel has ended')
    elseif fields[i] == 's' then
      prevSeq = fields[i + 1]
    elseif fields[i] == 'q' then
      prevEpoch = fields[i + 1]
    end
  end
end
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[11]
  redis.call('HSET', KEYS[2], 'e', epoch, 'n', 0)
end
local prev
if prevSeq and prevEpoch == epoch then
  prev = prevSeq
elseif #newest > 0 then
  prev = '0'
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  prev = '?'
else
  prev = 'b' .. redis.call('HGET', KEYS[2], 'n')
  local mark = redis.call('GET', KEYS[3])
  if mark then
    local dot = string.find(mark, '.', 1, true)
    if dot and string.sub(mark, dot + 1) == epoch then
      prev = 'b' .. string.sub(mark, 1, dot - 1)
    end
    redis.call('DEL', KEYS[3])
  end
end
local seq = redis.call('HINCRBY', KEYS[2], 'n', 1)
local fields = {'e', ARGV[6], 'd', ARGV[7], 's', seq, 'q', epoch, 'p', prev}
if ARGV[9] ~= '' then
  fields[11] = 'a'
  fields[12] = ARGV[9]
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], ARGV[4], ARGV[2], unpack(fields))
if ARGV[5] ~= '0' and redis.call('PTTL', KEYS[1]) == -1 then
  if redis.call('PUBSUB', 'NUMSUB', ARGV[1])[2] > 0 then
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) + tonumber(ARGV[10]))
  else
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
end
redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[6] .. '\\n' .. ARGV[9] .. '\\n' .. seq .. ' ' .. epoch .. '\\n' .. ARGV[7])
return id
`);

/**
 * An instance unsubscribed from a channel: if no instance is subscribed to
 * it now (PUBSUB NUMSUB, in the script so that nothing comes between), the
 * channel's Stream expires in ttl ms. An instance that subscribes after it
 * sets `ttl + lease` again (and renews it while subscribed).
 *
 * KEYS[1] the Stream (and the Pub/Sub channel's name). ARGV: ttl ms.
 */
export const EXPIRE_UNWATCHED_SCRIPT = script(`
if redis.call('PUBSUB', 'NUMSUB', KEYS[1])[2] == 0 then
  return redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 0
`);

/** How many instances are subscribed to the channel's topic (KEYS[1], its Stream's key); in a script, so that a cluster routes it to the channel's shard. */
export const SUBSCRIBERS_SCRIPT = script(`return redis.call('PUBSUB', 'NUMSUB', KEYS[1])[2]`);

/**
 * Reads a channel's Stream: the newest id it gave out; the id before which
 * entries were removed ('0-0': none — Redis keeps no record of the entries
 * trimmed, so it is the oldest entry left, or the newest id when none is
 * left); the newest id deleted by XDEL; the oldest entry's id ('' when
 * none); and up to ARGV[2] entries after ARGV[1] (none when ARGV[2] is 0),
 * then whether ARGV[1] is an entry (1 or 0: an id between entries that is
 * none of them was lost, e.g. by a failover); or, for a count of 0, the
 * newest entry. An empty reply: there is no such Stream. The ids it
 * sees are Stream ids, without the channel's tag (the transport adds it).
 *
 * KEYS[1] the Stream. ARGV: after id, count.
 */
export const READ_SCRIPT = script(`
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if type(info) ~= 'table' or info.err then
  return {}
end
local last, deleted, added, length, first, newest = '0-0', '0-0', 0, 0, nil, {}
for i = 1, #info, 2 do
  local key, value = info[i], info[i + 1]
  if key == 'last-generated-id' then
    last = value
  elseif key == 'max-deleted-entry-id' then
    deleted = value
  elseif key == 'entries-added' then
    added = value
  elseif key == 'length' then
    length = value
  elseif key == 'first-entry' and type(value) == 'table' then
    first = value[1]
  elseif key == 'last-entry' and type(value) == 'table' then
    newest = value
  end
end
local trimmed = '0-0'
if added > length then
  trimmed = first or last
end
if ARGV[2] == '0' then
  return {last, trimmed, deleted, first or '', {}, newest}
end
local known = 0
if ARGV[1] ~= '0-0' and #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) > 0 then
  known = 1
end
return {last, trimmed, deleted, first or '', redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2]), {}, known}
`);
