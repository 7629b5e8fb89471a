import { EXPIRE_UNWATCHED_SCRIPT, runScript, sharded } from './redis-scripts.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';

const SHARDED_EXPIRE_UNWATCHED_SCRIPT = sharded(EXPIRE_UNWATCHED_SCRIPT);

/** Channels whose Streams one renewal round trip covers (one pipeline; the next is sent once it is answered). */
export const RENEW_BATCH = 1000;

/**
 * `history.ttl` on Redis, as in memory: a channel's Stream does not run out
 * while any instance is subscribed to the channel (has clients on it), and
 * expires `ttl` ms after the last one unsubscribed. While subscribed, an
 * instance keeps the Stream's expiry at `ttl + lease` (set once subscribed,
 * renewed every lease / 3 for all its channels, in batches), so that a
 * crashed instance — which never unsubscribes — leaves its Streams expiring
 * at most `ttl + lease` after it died. Once unsubscribed, it runs
 * EXPIRE_UNWATCHED_SCRIPT (`ttl` if no instance is subscribed). The publish
 * script does the rest (see PUBLISH_SCRIPT). A ttl of 0: nothing to do.
 *
 * A renewal never outlives an unsubscribe: it goes only for channels in the
 * subscribed set when it is written, on the connection the unsubscribe
 * script goes on afterwards (removing a channel from the set always sends
 * that script), so Redis runs the script after it. (On a cluster each
 * channel's commands go to its node on one connection: the same holds.)
 */
export class HistoryExpiry {
  /** Commands sent and not answered yet. */
  private readonly pending = new Set<Promise<unknown>>();
  /** The expiry, in ms, of a Stream this instance is subscribed to (0: none, ttl 0). */
  readonly watchedTtl: number;
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  private stopped = false;

  constructor(
    private readonly commands: RedisClientLike,
    private readonly keys: RedisKeys,
    private readonly ttl: number,
    private readonly lease: number,
  ) {
    this.watchedTtl = ttl > 0 ? ttl + lease : 0;
  }

  /** Renews the Streams of `channels` (the subscribed set, live) every lease / 3, until stop(). */
  start(channels: ReadonlySet<string>): void {
    if (this.ttl > 0 && !this.timer && !this.stopped) {
      this.timer = setInterval(() => void this.renew(channels), Math.max(1, Math.floor(this.lease / 3)));
      this.timer.unref();
    }
  }

  /** No more renewals (on close(); a round under way sends no further batch). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One renewal round: `PEXPIRE <key> ttl+lease` for every channel in
   * `channels`, RENEW_BATCH per pipeline, one pipeline at a time. Each batch
   * is taken from the set when it is written (a channel left meanwhile is
   * skipped). Skipped while a round is under way, and while the connection is
   * not ready (ioredis would queue them; the next round renews).
   */
  async renew(channels: ReadonlySet<string>): Promise<void> {
    if (this.ttl <= 0 || this.renewing) {
      return;
    }
    this.renewing = true;
    try {
      // (A Set's iterator skips what was deleted since and visits what was added.)
      const iterator = channels.values();
      let more = true;
      while (more && !this.stopped && this.commands.status === 'ready') {
        // (A cluster's pipeline goes to one node: there, one command each, sent together.)
        const pipeline = this.keys.cluster ? undefined : this.commands.pipeline();
        const sent: Promise<unknown>[] = [];
        let size = 0;
        while (size < RENEW_BATCH) {
          const next = iterator.next(); // (taken only now: in the set when its PEXPIRE is written)
          if (next.done) {
            more = false;
            break;
          }
          const key = this.keys.stream(next.value);
          if (pipeline) pipeline.call('PEXPIRE', key, this.watchedTtl);
          else sent.push(this.commands.call('PEXPIRE', key, this.watchedTtl));
          size++;
        }
        if (size > 0) {
          await (pipeline ? pipeline.exec() : Promise.all(sent));
        }
      }
    } catch {
      // Redis unreachable: the next round renews.
    } finally {
      this.renewing = false;
    }
  }

  /**
   * This instance is subscribed to `channels` (confirmed by Redis): their
   * Streams expire in `ttl + lease` (then renewed). Sent at once, so that it
   * goes before anything this instance sends about them later on the same
   * connection.
   */
  watched(channels: Iterable<string>): void {
    if (this.ttl > 0) {
      for (const channel of channels) {
        this.track(this.commands.call('PEXPIRE', this.keys.stream(channel), this.watchedTtl));
      }
    }
  }

  /**
   * This instance unsubscribed from `channel`; once `unsubscribed` settles
   * (Redis confirmed it, or the connection is gone and its subscriptions
   * with it), the Stream expires in `ttl` if no instance is subscribed.
   */
  unwatched(channel: string, unsubscribed: Promise<unknown>): void {
    if (this.ttl > 0) {
      const key = this.keys.stream(channel);
      const code = this.keys.cluster ? SHARDED_EXPIRE_UNWATCHED_SCRIPT : EXPIRE_UNWATCHED_SCRIPT;
      const expire = () => runScript(this.commands, code, [key], [this.ttl]);
      this.track(unsubscribed.then(expire, expire));
    }
  }

  /** Waits for what was sent to be answered, at most `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.pending), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** (A command that failed leaves the expiry as it was: at most `ttl + lease`, as the last renewal set it, or none if the Stream never had one, until a publish sets it.) */
  private track(command: Promise<unknown>): void {
    const tracked: Promise<unknown> = command.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

/**
 * Unsubscribes `subscriptions` from every channel and waits, at most `ms`,
 * for Redis to have heard of it (so the Streams' expiry starts before the
 * connections close).
 */
export async function unsubscribeAll(
  subscriptions: { readonly channels: ReadonlySet<string>; unsubscribe(channel: string): void },
  expiry: HistoryExpiry | undefined,
  ms: number,
): Promise<void> {
  expiry?.stop();
  for (const channel of [...subscriptions.channels]) {
    subscriptions.unsubscribe(channel);
  }
  await expiry?.settle(ms);
}
