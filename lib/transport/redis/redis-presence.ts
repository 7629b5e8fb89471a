import { randomBytes } from 'node:crypto';
import { runScript, script, type RedisScript } from './redis-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';

/** How long an instance's lease lasts without renewal, by default; it is renewed (and others' checked) three times as often. */
export const PRESENCE_LEASE_MS = 15_000;

/*
 * Keys, for a channel C (all under the transport's keyPrefix):
 *   presence:C:i   hash  <instance>\0<identity> → 1   who is on C, per instance
 *   presence:C:n   hash  <identity> → instances       how many instances have it
 *   presence:C:a   hash  <identity> → 1               its join was announced
 *   presence-of:<instance>  set of C                  the channels an instance is on
 *   presence-instances      set of instances          whose leases are checked
 *   presence-lease:<instance>  a key that expires     the instance is alive
 * Every entry goes when its identity leaves; a crashed instance's go when its
 * lease has expired and another instance sweeps them.
 */

/** An identity is on C on this instance now; 1 if it is its first instance and its join is to be announced. */
const JOIN = script(`
redis.call('SET', KEYS[6], 1, 'PX', ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1] .. '\\0' .. ARGV[2], 1)
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[1])
local n = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
if n == 1 then
  return redis.call('HSETNX', KEYS[3], ARGV[2], 1)
end
return 0
`);

/** The identity has no stream on C on this instance any more. */
const LEAVE = script(`
if redis.call('HDEL', KEYS[1], ARGV[1] .. '\\0' .. ARGV[2]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[2])
  end
end
return 0
`);

/** After the leave delay: 1 if the identity is on no instance and its leave is to be announced (once). */
const GONE = script(`
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > 0 then
  return 0
end
return redis.call('HDEL', KEYS[3], ARGV[1])
`);

/**
 * Removes the presence of an instance whose lease has run out (checked here,
 * atomically: one that renewed it meanwhile is alive); returns channel,
 * identity pairs whose last instance it was (their leave is to be
 * announced). KEYS: the instances set. ARGV: key prefix, the instance.
 */
const SWEEP = script(`
local prefix, dead = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. 'presence-lease:' .. dead) == 1 then
  return {}
end
local left = {}
for _, channel in ipairs(redis.call('SMEMBERS', prefix .. 'presence-of:' .. dead)) do
  local base = prefix .. 'presence:' .. channel
  local fields = redis.call('HKEYS', base .. ':i')
  for _, field in ipairs(fields) do
    if string.sub(field, 1, #dead + 1) == dead .. '\\0' then
      local identity = string.sub(field, #dead + 2)
      redis.call('HDEL', base .. ':i', field)
      if redis.call('HINCRBY', base .. ':n', identity, -1) <= 0 then
        redis.call('HDEL', base .. ':n', identity)
        if redis.call('HDEL', base .. ':a', identity) == 1 then
          table.insert(left, channel)
          table.insert(left, identity)
        end
      end
    end
  end
end
redis.call('DEL', prefix .. 'presence-of:' .. dead)
redis.call('SREM', KEYS[1], dead)
return left
`);

/**
 * Presence across instances on Redis: which identities have streams on a
 * channel anywhere, the first join and the last leave told once, and the
 * identities of an instance that died without shutting down removed by the
 * others once its lease has run out (within `leaseMs` × 4/3).
 */
export class RedisPresence {
  readonly instance = randomBytes(8).toString('hex');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commands: () => RedisClientLike | undefined,
    private readonly prefix: string,
    /** A dead instance's identity left a channel (it was its last instance). */
    private readonly onSwept: (channel: string, identity: string) => void,
    private readonly leaseMs = PRESENCE_LEASE_MS,
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.floor(this.leaseMs / 3));
    this.timer.unref();
  }

  /**
   * Stops renewing the lease (on shutdown): like a crash, the instance's
   * identities leave once it runs out, unless they are on another instance by
   * then — clients that reconnect elsewhere after a deploy do not flicker.
   */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async join(channel: string, identity: string): Promise<boolean> {
    const keys = [...this.keys(channel), `${this.prefix}presence-lease:${this.instance}`];
    return (await this.run(JOIN, keys, [this.instance, identity, channel, String(this.leaseMs)])) === 1;
  }

  async leave(channel: string, identity: string): Promise<void> {
    await this.run(LEAVE, this.keys(channel), [this.instance, identity]);
  }

  async gone(channel: string, identity: string): Promise<boolean> {
    return (await this.run(GONE, this.keys(channel), [identity])) === 1;
  }

  async list(channel: string): Promise<string[]> {
    const commands = this.commands();
    if (!commands) {
      return [];
    }
    const flat = (await commands.call('HGETALL', `${this.prefix}presence:${channel}:n`)) as string[];
    const identities: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      if (Number(flat[i + 1]) > 0) {
        identities.push(flat[i]);
      }
    }
    return identities.sort();
  }

  /** Renews this instance's lease, then sweeps the instances whose lease has run out. */
  private async tick(): Promise<void> {
    const commands = this.commands();
    if (!commands || commands.status !== 'ready') {
      return;
    }
    try {
      await commands.call('SET', `${this.prefix}presence-lease:${this.instance}`, '1', 'PX', this.leaseMs);
      const instances = (await commands.call('SMEMBERS', `${this.prefix}presence-instances`)) as string[];
      for (const other of instances) {
        if (other === this.instance) {
          continue;
        }
        const left = (await this.run(SWEEP, [`${this.prefix}presence-instances`], [this.prefix, other])) as string[];
        for (let i = 0; i < left.length; i += 2) {
          this.onSwept(left[i], left[i + 1]);
        }
      }
    } catch {
      // Redis unreachable: the next tick tries again.
    }
  }

  private keys(channel: string): string[] {
    const base = `${this.prefix}presence:${channel}`;
    return [`${base}:i`, `${base}:n`, `${base}:a`, `${this.prefix}presence-of:${this.instance}`, `${this.prefix}presence-instances`];
  }

  private run(code: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    const commands = this.commands();
    if (!commands) {
      return Promise.reject(new Error('RedisTransport: presence after the application shut down.'));
    }
    return runScript(commands, code, keys, args);
  }
}
