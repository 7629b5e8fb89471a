import type { SseTransportPublish } from '../interfaces/sse-transport.interface.js';
import type { ChannelEvent } from './history.js';
import type { PresenceStore } from '../presence/presence.js';

import type { ResetReason } from '../model/reset-reason.js';

/**
 * What a client resuming after an id missed: the events, in order (none: it
 * is up to date), and — when some of what it missed is gone — why (it gets
 * the reset event first).
 */
export interface Missed {
  readonly events: readonly ChannelEvent[];
  readonly reset?: ResetReason;
}

export const UP_TO_DATE: Missed = { events: [] };

/**
 * What a stream on many channels missed of one channel since a position of
 * the sequence across channels: the events after it (in order, up to `upTo`),
 * the reset first when some may be gone.
 */
export interface MissedSince extends Missed {
  /**
   * The position up to which `events` holds every event of the channel
   * (Infinity: up to now). Below Infinity — an answer read from a shared
   * history, a page of it — the events after it are asked for again.
   */
  readonly upTo: number;
  /** The sequence's epoch, as the feed knows it now (a cursor of another one cannot be resumed). */
  readonly epoch: string;
}

/** The sequence across a source's channels, as the streams on many channels see it. */
export interface SequenceView {
  /** The newest position of the sequence `epoch` this instance has delivered (0: none, or another sequence). */
  seen(epoch: string): number;
}

/**
 * The cursor of a client that wants everything the channel still has (`from:
 * 'start'`). A symbol, not a string: no `Last-Event-ID` a client sends can
 * select it — whatever a client sends is an id, found or not.
 */
export const FROM_START: unique symbol = Symbol('from the start');

/** Where a client resumes: after an id it sent, or from the start ({@link FROM_START}). */
export type Cursor = string | typeof FROM_START;

/** What a feed hands its new events to, in order: its channel. */
export interface FeedSink {
  append(entry: ChannelEvent): void;
  /** The newest event already in the shared history when the feed started (not delivered: it is past). */
  seed(entry: ChannelEvent): void;
  /** Events after the last one delivered are gone (a shared feed's history was trimmed while it was not listening): the live clients get a reset. */
  gap(reason: ResetReason): void;
}

/** How a channel keeps its past. */
export interface ChannelSettings {
  history: number;
  historyBytes: number;
  resetEvent: string;
  /** The event that ends a channel (a finished run): `endEvent`. */
  endEvent: string;
}

/**
 * Where one channel's events, ids and history come from. The channel owns its
 * clients; its feed owns what they are sent: a local feed (in memory: it gives
 * the ids and its history is the truth) or a shared feed (a transport such as
 * Redis gives the ids; it keeps a window of the shared history).
 */
export interface ChannelFeed {
  /** The newest event the channel delivered (a shared feed: since it started). */
  readonly lastId: string | undefined;
  /** Settles once the channel can take clients (a shared feed: once subscribed); `undefined` when it can at once. */
  readonly ready: Promise<void> | undefined;
  /** Whether an idle channel is worth keeping: it holds history nobody else has. */
  readonly keepsHistory: boolean;
  /**
   * What a client resuming at `cursor` missed. A shared feed may have
   * to read the shared history first (then it delivers what continues the
   * channel to the sink on the way); such a read may fail.
   */
  missed(cursor: Cursor): Missed | Promise<Missed>;
  /**
   * What a stream at position `seq` of the sequence `epoch` (`undefined`:
   * from the start) missed of this channel. A shared feed may read the shared
   * history (such a read may fail). Only the feeds of a source with a
   * `sequence`.
   */
  missedSince?(seq: number, epoch: string | undefined): MissedSince | Promise<MissedSince>;
  /** The channel got its first client, or lost its last one. */
  setActive(active: boolean): void;
  /** The channel is dropped: forget its history, stop listening. */
  dispose(): void;
}

/** The channels a source of local feeds publishes to. */
export interface ChannelLookup {
  /** The channel's feed, the channel created if needed. */
  feedOf(name: string): ChannelFeed;
  /** Drops the channel if it holds nothing worth keeping. */
  disposeIfIdle(name: string): void;
}

/**
 * Where every channel of an application gets its events: in this process
 * ({@link LocalFeeds}) or through a shared transport ({@link SharedFeeds}).
 */
export interface FeedSource {
  init(): Promise<void> | void;
  /** The sequence across all its channels, which gives every event its `seq` (a source whose transport gives none: `undefined`). */
  readonly sequence?: SequenceView;
  /** A new channel's feed, delivering to `sink`. */
  create(name: string, settings: ChannelSettings, sink: FeedSink): ChannelFeed;
  /** Publishes one validated, serialized event; resolves with its id. */
  publish(request: SseTransportPublish): Promise<string>;
  /** How many instances have clients on the channel (shared feeds whose transport can tell). */
  listeners?(channel: string): Promise<number>;
  /** Sends a control message to every other instance (shared feeds). */
  sendControl?(message: string): Promise<void>;
  /** Where presence is kept. */
  presenceStore(): PresenceStore;
  close(): Promise<void> | void;
}
