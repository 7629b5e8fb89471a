/**
 * Channels that have ended, remembered by name with their end event's id
 * after they are dropped — a few bytes each, for `ttlMs`, at most `max` of
 * them (the oldest forgotten first) — so that a client reconnecting with that
 * id gets `204 No Content` and stops, instead of waiting on a channel that is
 * over.
 */
export class EndedChannels {
  private readonly ended = new Map<string, { readonly endId: string; readonly until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  remember(name: string, endId: string): void {
    this.ended.delete(name);
    this.ended.set(name, { endId, until: Date.now() + this.ttlMs });
    if (this.ended.size > this.max) {
      this.ended.delete(this.ended.keys().next().value!);
    }
  }

  /** The end id of a channel that ended (and is still remembered). */
  endIdOf(name: string): string | undefined {
    const ended = this.ended.get(name);
    if (ended && ended.until < Date.now()) {
      this.ended.delete(name);
      return undefined;
    }
    return ended?.endId;
  }

  get size(): number {
    return this.ended.size;
  }
}
