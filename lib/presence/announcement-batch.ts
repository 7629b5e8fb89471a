/** What presence does with an announcement: a `sse-join` or `sse-leave` event of the channel. */
export type Announce = (channel: string, identity: string, kind: 'join' | 'leave') => void;

/** How long the first announcement of a batch waits for others: joins of a stampede within it go out together. */
export const PRESENCE_BATCH_MS = 50;

/**
 * Presence announcements made within a short window, made together in one
 * turn, in the order they came: the joins of many clients that arrive at once
 * (after a deploy, every client of a busy room reconnects) become one write to
 * each client there instead of one per join, while each join stays its own
 * event, with its id, in order.
 */
export class AnnouncementBatch {
  private pending: Parameters<Announce>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly announce: Announce,
    private readonly windowMs = PRESENCE_BATCH_MS,
  ) {}

  readonly add: Announce = (channel, identity, kind) => {
    this.pending.push([channel, identity, kind]);
    this.timer ??= setTimeout(this.flush, this.windowMs);
  };

  /** Makes every waiting announcement now. */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const [channel, identity, kind] of batch) {
      this.announce(channel, identity, kind);
    }
  };
}
