import type { SseConnection } from './connection.js';

/**
 * The streams of each identity on this instance — opening (the handler is
 * running) or open — for the per-identity caps, and the open ones by identity
 * for `disconnect()`. Anonymous streams are not here.
 */
export class IdentityIndex {
  /** Streams opening or open, by identity, and by route and identity. */
  private readonly counts = new Map<string, number>();
  private readonly open = new Map<string, Set<SseConnection>>();

  /** Streams of `identity` (opening or open); on one route if `route` is given. */
  count(identity: string, route?: string): number {
    return this.counts.get(key(identity, route)) ?? 0;
  }

  /** One more stream of `identity` on `route`, opening or open. */
  hold(identity: string, route: string): void {
    for (const name of [key(identity), key(identity, route)]) {
      this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    }
  }

  /** One stream of `identity` on `route` less. */
  free(identity: string, route: string): void {
    for (const name of [key(identity), key(identity, route)]) {
      const left = (this.counts.get(name) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(name, left);
      } else {
        this.counts.delete(name);
      }
    }
  }

  add(identity: string, connection: SseConnection): void {
    let set = this.open.get(identity);
    if (!set) {
      set = new Set();
      this.open.set(identity, set);
    }
    set.add(connection);
  }

  remove(identity: string, connection: SseConnection): void {
    const set = this.open.get(identity);
    if (set?.delete(connection) && set.size === 0) {
      this.open.delete(identity);
    }
  }

  /** The open streams of `identity` (a copy). */
  streamsOf(identity: string): SseConnection[] {
    return [...(this.open.get(identity) ?? [])];
  }
}

const key = (identity: string, route?: string) => (route === undefined ? identity : `${route}\0${identity}`);
