import { script } from './redis-scripts.js';

/**
 * What a stream on many channels at position ARGV[1] of the sequence missed
 * of one channel: the sequence's epoch and newest position now; what the
 * Stream says of the channel's events after that position before the first
 * one returned — `kept` (none is missing), `none` (no Stream), `empty` (a
 * Stream that keeps no entry), or the oldest entry's `p` (see
 * PUBLISH_SCRIPT: `b<n>`, a number, `?`) when every entry is after it —
 * and up to ARGV[2] entries after the position, oldest first. It walks the
 * Stream back from its newest entry, so a recent position costs little.
 *
 * Without a Stream, the channel's watch mark (WATCH_SCRIPT) tells from where
 * it had none: `b<n>`, as if born there.
 *
 * KEYS[1] the Stream, KEYS[2] the sequence, KEYS[3] the watch mark. ARGV: position, count.
 */
export const MISSED_SINCE_SCRIPT = script(`
local epoch = redis.call('HGET', KEYS[2], 'e') or ''
local current = redis.call('HGET', KEYS[2], 'n') or '0'
if redis.call('EXISTS', KEYS[1]) == 0 then
  local mark = redis.call('GET', KEYS[3])
  if mark then
    local dot = string.find(mark, '.', 1, true)
    if dot and string.sub(mark, dot + 1) == epoch then
      return {epoch, current, 'b' .. string.sub(mark, 1, dot - 1), {}}
    end
  end
  return {epoch, current, 'none', {}}
end
local after = tonumber(ARGV[1])
local function field(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then
      return fields[i + 1]
    end
  end
  return nil
end
local top, oldest = '+', nil
while true do
  local batch = redis.call('XREVRANGE', KEYS[1], top, '-', 'COUNT', 100)
  for i = 1, #batch do
    local seq = field(batch[i], 's')
    if seq == nil or field(batch[i], 'q') ~= epoch or tonumber(seq) <= after then
      return {epoch, current, 'kept', redis.call('XRANGE', KEYS[1], '(' .. batch[i][1], '+', 'COUNT', ARGV[2])}
    end
    oldest = batch[i]
  end
  if #batch < 100 then
    break
  end
  top = '(' .. batch[#batch][1]
end
if oldest == nil then
  return {epoch, current, 'empty', {}}
end
return {epoch, current, field(oldest, 'p') or '?', redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])}
`);

/**
 * An instance started watching a channel (subscribed: it has clients on it).
 * If the channel has no Stream, its watch mark KEYS[3] (`<n>.<epoch>`) keeps
 * the earliest position of the sequence since which it had none and was
 * watched: no event of the channel can be missing after it (a publish makes
 * the Stream and takes the mark as the Stream's birth, see PUBLISH_SCRIPT).
 * So a stream on many channels that carried a channel without events owes
 * no reset when the channel's first events come while it is away. The mark
 * expires like an unwatched Stream (ARGV[1] ms; 0: never), counted from the
 * latest watch. Without a sequence yet, it makes one (named ARGV[2]).
 *
 * KEYS[1] the Stream, KEYS[2] the sequence, KEYS[3] the watch mark. ARGV: expiry ms, an epoch for a new sequence.
 */
export const WATCH_SCRIPT = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[2]
  redis.call('HSET', KEYS[2], 'e', epoch, 'n', 0)
end
redis.call('SET', KEYS[3], redis.call('HGET', KEYS[2], 'n') .. '.' .. epoch, 'NX')
if ARGV[1] ~= '0' then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
return 1
`);
