import { EXPIRE_UNWATCHED_SCRIPT, runScript } from './redis-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';

/**
 * `history.ttl` on Redis, as in memory: a channel's Stream does not expire
 * while any instance is subscribed to the channel (has clients on it), and
 * expires `ttl` ms after the last one unsubscribed. This instance's side of
 * it: PERSIST once subscribed, EXPIRE_UNWATCHED_SCRIPT once unsubscribed. The
 * publish script does the rest (see PUBLISH_SCRIPT). A ttl of 0: nothing to do.
 */
export class HistoryExpiry {
  /** Commands sent and not answered yet. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly commands: RedisClientLike,
    private readonly keyPrefix: string,
    private readonly ttl: number,
  ) {}

  /**
   * This instance is subscribed to `channels` (confirmed by Redis): their
   * Streams expire no more. Sent at once, so that it goes before anything
   * this instance sends about them later on the same connection.
   */
  watched(channels: Iterable<string>): void {
    if (this.ttl > 0) {
      for (const channel of channels) {
        this.track(this.commands.call('PERSIST', this.keyPrefix + channel));
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
      const key = this.keyPrefix + channel;
      const expire = () => runScript(this.commands, EXPIRE_UNWATCHED_SCRIPT, [key], [this.ttl]);
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

  /** (A command that failed leaves the expiry as it was, until a publish or a subscription to the channel sets it.) */
  private track(command: Promise<unknown>): void {
    const tracked: Promise<unknown> = command.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
