import { randomBytes } from 'node:crypto';
import { runScript, script, type RedisScript } from './redis-scripts.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';

/** How long an instance's lease lasts without renewal, by default; it is renewed (and others' checked) three times as often. */
export const PRESENCE_LEASE_MS = 15_000;

/*
 * Keys (see redis-keys.ts for where each lives), for a channel C:
 *   presence:C:i   hash  <instance>\0<identity> → 1   who is on C, per instance
 *   presence:C:n   hash  <identity> → instances       how many instances have it
 *   presence:C:a   hash  <identity> → 1               its join was announced
 *   presence-of:<instance>  set of C                  the channels an instance is on
 *   presence-instances      set of instances          whose leases are checked
 *   presence-lease:<instance>  a key that expires     the instance is alive
 * Every entry goes when its identity leaves; a crashed instance's go when its
 * lease has expired and another instance sweeps them. Each script touches
 * one channel's three hashes only (one slot on a cluster); the registry of
 * instances is kept with plain commands.
 */

/** An identity is on C on this instance now; 1 if it is its first instance and its join is to be announced. */
const JOIN = script(`
redis.call('HSET', KEYS[1], ARGV[1] .. '\\0' .. ARGV[2], 1)
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
 * Removes a dead instance's presence on C (ARGV[1]; each entry once, so two
 * instances sweeping it at once count nothing twice); returns the
 * identities whose last instance it was (their leave is to be announced).
 */
const SWEEP_CHANNEL = script(`
local dead = ARGV[1] .. '\\0'
local left = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #dead) == dead and redis.call('HDEL', KEYS[1], field) == 1 then
    local identity = string.sub(field, #dead + 1)
    if redis.call('HINCRBY', KEYS[2], identity, -1) <= 0 then
      redis.call('HDEL', KEYS[2], identity)
      if redis.call('HDEL', KEYS[3], identity) == 1 then
        table.insert(left, identity)
      end
    end
  end
end
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
  /** Until when this instance's lease is known to be set (ms since the epoch). */
  private leasedUntil = 0;

  constructor(
    private readonly commands: () => RedisClientLike | undefined,
    private readonly keys: RedisKeys,
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
    // An instance is in the registry only with a lease set first, or a sweep could take it for dead.
    if (Date.now() > this.leasedUntil - this.leaseMs / 2) {
      await this.setLease(this.commands());
    }
    const commands = this.commands();
    const registered = commands
      ? Promise.all([commands.call('SADD', this.keys.channelsOf(this.instance), channel), commands.call('SADD', this.keys.instances, this.instance)])
      : undefined;
    const [joined] = await Promise.all([this.run(JOIN, this.channelKeys(channel), [this.instance, identity]), registered]);
    return joined === 1;
  }

  async leave(channel: string, identity: string): Promise<void> {
    await this.run(LEAVE, this.channelKeys(channel), [this.instance, identity]);
  }

  async gone(channel: string, identity: string): Promise<boolean> {
    return (await this.run(GONE, this.channelKeys(channel), [identity])) === 1;
  }

  async list(channel: string): Promise<string[]> {
    const commands = this.commands();
    if (!commands) {
      return [];
    }
    const flat = (await commands.call('HGETALL', `${this.keys.presence(channel)}:n`)) as string[];
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
    if (await this.renewLease()) {
      await this.sweep();
    }
  }

  /** Renews this instance's lease (true) or not (Redis unreachable: the next tick tries again). */
  private async renewLease(): Promise<boolean> {
    const commands = this.commands();
    return commands?.status === 'ready' && this.setLease(commands).then(
      () => true,
      () => false,
    );
  }

  private async setLease(commands: RedisClientLike | undefined): Promise<void> {
    if (commands) {
      const until = Date.now() + this.leaseMs;
      await commands.call('SET', this.keys.lease(this.instance), '1', 'PX', this.leaseMs);
      this.leasedUntil = Math.max(this.leasedUntil, until);
    }
  }

  /**
   * Removes the presence of every instance whose lease has run out, channel
   * by channel (one whose lease is back meanwhile lost what was swept: its
   * later leaves count nothing twice), then the instance from the registry.
   */
  private async sweep(): Promise<void> {
    const commands = this.commands();
    if (!commands || commands.status !== 'ready') {
      return;
    }
    try {
      const instances = (await commands.call('SMEMBERS', this.keys.instances)) as string[];
      for (const other of instances) {
        if (other === this.instance || (await commands.call('EXISTS', this.keys.lease(other))) === 1) {
          continue;
        }
        const channelsOf = this.keys.channelsOf(other);
        for (const channel of (await commands.call('SMEMBERS', channelsOf)) as string[]) {
          const left = (await this.run(SWEEP_CHANNEL, this.channelKeys(channel), [other])) as string[];
          await commands.call('SREM', channelsOf, channel);
          for (const identity of left) {
            this.onSwept(channel, identity);
          }
        }
        await commands.call('SREM', this.keys.instances, other);
      }
    } catch {
      // Redis unreachable: the next tick tries again.
    }
  }

  private channelKeys(channel: string): string[] {
    const base = this.keys.presence(channel);
    return [`${base}:i`, `${base}:n`, `${base}:a`];
  }

  private run(code: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    const commands = this.commands();
    if (!commands) {
      return Promise.reject(new Error('RedisTransport: presence after the application shut down.'));
    }
    return runScript(commands, code, keys, args);
  }
}
