/**
 * The streams of each identity on this instance — opening (the handler is
 * running) or open — for the per-identity caps, and the open ones by identity
 * for `disconnect()`. Anonymous streams are not here.
 */
export class IdentityIndex<T> {
  /** Streams opening or open, by identity, and by route and identity. */
  private readonly counts = new Map<string, number>();
  /** (One stream is kept as it is; a Set only for an identity with several.) */
  private readonly open = new Map<string, T | Set<T>>();

  /** Streams of `identity` (opening or open); on one route if `route` is given. */
  count(identity: string, route?: string): number {
    return this.counts.get(key(identity, route)) ?? 0;
  }

  /** One more stream of `identity`, opening or open (counted per route too when `route` is given: it has a cap). */
  hold(identity: string, route?: string): void {
    this.bump(identity, 1);
    if (route !== undefined) {
      this.bump(key(identity, route), 1);
    }
  }

  /** One stream of `identity` less. */
  free(identity: string, route?: string): void {
    this.bump(identity, -1);
    if (route !== undefined) {
      this.bump(key(identity, route), -1);
    }
  }

  add(identity: string, connection: T): void {
    const held = this.open.get(identity);
    if (held === undefined) {
      this.open.set(identity, connection);
    } else if (held instanceof Set) {
      held.add(connection);
    } else {
      this.open.set(identity, new Set([held, connection]));
    }
  }

  remove(identity: string, connection: T): void {
    const held = this.open.get(identity);
    if (held === connection) {
      this.open.delete(identity);
    } else if (held instanceof Set && held.delete(connection) && held.size === 0) {
      this.open.delete(identity);
    }
  }

  /** The open streams of `identity` (a copy). */
  streamsOf(identity: string): T[] {
    const held = this.open.get(identity);
    return held === undefined ? [] : held instanceof Set ? [...held] : [held as T];
  }

  private bump(name: string, by: number): void {
    const count = (this.counts.get(name) ?? 0) + by;
    if (count > 0) {
      this.counts.set(name, count);
    } else {
      this.counts.delete(name);
    }
  }
}

const key = (identity: string, route?: string) => (route === undefined ? identity : `${route}\0${identity}`);
