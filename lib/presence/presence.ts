import { AnnouncementBatch, type Announce } from './announcement-batch.js';
import { ExpiryTimer } from '../util/expiry-timer.js';

/** Where presence is kept: this process, or the transport (every instance). */
export interface PresenceStore {
  /** `identity` now has a stream on `channel` on this instance; true: its first anywhere (announce it). */
  join(channel: string, identity: string): Promise<boolean>;
  /** `identity` has no stream on `channel` on this instance any more. */
  leave(channel: string, identity: string): Promise<void>;
  /** After the leave delay: true if `identity` has no stream on `channel` anywhere (announce it, once). */
  gone(channel: string, identity: string): Promise<boolean>;
  /** The identities with a stream on `channel` anywhere. */
  list(channel: string): Promise<string[]>;
}

export type { Announce } from './announcement-batch.js';

/**
 * Who is on each channel: the streams of each identity on this instance,
 * told to the store when an identity's first stream joins and its last one
 * leaves. On a channel with presence, the first join anywhere and the last
 * leave anywhere are announced as channel events; a leave waits `delayMs`
 * (a tab reload is not a leave), from one timer for all of them.
 */
export class Presence {
  /** Streams per channel and identity, on this instance. */
  private readonly streams = new Map<string, Map<string, number>>();
  /**
   * Channels with presence events that no route's template covers (a
   * `presence: true` route streamed them here), forgotten once they have no
   * stream and no leave to confirm here: the set stays as small as the
   * channels in use, whatever names the routes' handlers pick.
   */
  private readonly announced = new Set<string>();
  /** Leaves waiting for their delay, per channel. */
  private readonly leaving = new Map<string, number>();
  private readonly pendingLeaves: ExpiryTimer<{ channel: string; identity: string }>;
  private readonly templates: ((channel: string) => boolean)[] = [];
  /** Shutting down: no leave is confirmed any more (on a shared store, the other instances see this one's lease run out). */
  private stopped = false;
  /** Announcements are made in batches (a stampede of joins: one write per client for many joins). */
  private readonly batch: AnnouncementBatch;
  private readonly announce: Announce;

  constructor(
    private readonly store: PresenceStore,
    announce: Announce,
    private readonly delayMs: number,
    private readonly report: (error: unknown) => void,
  ) {
    this.pendingLeaves = new ExpiryTimer(({ channel, identity }) => this.confirmLeave(channel, identity));
    this.batch = new AnnouncementBatch(announce);
    this.announce = this.batch.add;
  }

  /** A stream of `identity` joined `channel` (through a route with `presence: true` if `announce`). */
  joined(channel: string, identity: string, announce: boolean): void {
    if (announce && !this.isAnnounced(channel)) {
      // (A channel a route's template covers is not remembered by name: no entry per param value.)
      this.announced.add(channel);
    }
    let identities = this.streams.get(channel);
    if (!identities) {
      identities = new Map();
      this.streams.set(channel, identities);
    }
    const count = (identities.get(identity) ?? 0) + 1;
    identities.set(identity, count);
    if (count === 1) {
      this.store.join(channel, identity).then((first) => {
        if (first && this.isAnnounced(channel)) {
          this.announce(channel, identity, 'join');
        }
      }, this.report);
    }
  }

  /** A stream of `identity` left `channel`. */
  left(channel: string, identity: string): void {
    const identities = this.streams.get(channel);
    const count = (identities?.get(identity) ?? 1) - 1;
    if (count > 0) {
      identities!.set(identity, count);
      return;
    }
    identities?.delete(identity);
    if (identities?.size === 0) {
      this.streams.delete(channel);
    }
    this.store.leave(channel, identity).catch(this.report);
    if (this.stopped) {
      return;
    }
    this.leaving.set(channel, (this.leaving.get(channel) ?? 0) + 1);
    this.pendingLeaves.add({ channel, identity }, Date.now() + this.delayMs);
  }

  list(channel: string): Promise<string[]> {
    return this.store.list(channel);
  }

  /** Routes with `presence: true` and a channel name: the channels they name have presence everywhere. */
  addTemplate(matches: (channel: string) => boolean): void {
    this.templates.push(matches);
  }

  /** A dead instance's identity left `channel` for good: announce it now (its time has passed already). */
  announceSwept(channel: string, identity: string): void {
    if (this.isAnnounced(channel)) {
      this.announce(channel, identity, 'leave');
    }
  }

  stop(): void {
    this.stopped = true;
    this.pendingLeaves.stop();
    this.batch.flush();
  }

  private isAnnounced(channel: string): boolean {
    return this.announced.has(channel) || this.templates.some((matches) => matches(channel));
  }

  private confirmLeave(channel: string, identity: string): void {
    if (this.streams.get(channel)?.has(identity)) {
      this.settled(channel); // back on this instance meanwhile
      return;
    }
    this.store.gone(channel, identity).then(
      (gone) => {
        if (gone && this.isAnnounced(channel)) {
          this.announce(channel, identity, 'leave');
        }
        this.settled(channel);
      },
      (error: unknown) => {
        this.report(error);
        this.settled(channel);
      },
    );
  }

  /** A leave of `channel` is settled: with nothing more of it here, the channel is forgotten. */
  private settled(channel: string): void {
    const pending = (this.leaving.get(channel) ?? 1) - 1;
    if (pending > 0) {
      this.leaving.set(channel, pending);
      return;
    }
    this.leaving.delete(channel);
    if (!this.streams.has(channel)) {
      this.announced.delete(channel);
    }
  }
}

/** Presence in this process: the streams here are all there is. */
export class LocalPresenceStore implements PresenceStore {
  /** Per channel: identities present, or leaving (their leave not confirmed yet). */
  private readonly channels = new Map<string, Map<string, 'present' | 'leaving'>>();

  join(channel: string, identity: string): Promise<boolean> {
    let identities = this.channels.get(channel);
    if (!identities) {
      identities = new Map();
      this.channels.set(channel, identities);
    }
    const first = !identities.has(identity); // (back while leaving: no new join)
    identities.set(identity, 'present');
    return Promise.resolve(first);
  }

  leave(channel: string, identity: string): Promise<void> {
    this.channels.get(channel)?.set(identity, 'leaving');
    return Promise.resolve();
  }

  gone(channel: string, identity: string): Promise<boolean> {
    const identities = this.channels.get(channel);
    if (identities?.get(identity) !== 'leaving') {
      return Promise.resolve(false);
    }
    identities.delete(identity);
    if (identities.size === 0) {
      this.channels.delete(channel);
    }
    return Promise.resolve(true);
  }

  list(channel: string): Promise<string[]> {
    const identities = this.channels.get(channel) ?? new Map<string, string>();
    return Promise.resolve([...identities].filter(([, state]) => state === 'present').map(([identity]) => identity).sort());
  }
}
