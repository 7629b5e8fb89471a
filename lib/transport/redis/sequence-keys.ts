import type { SseTransportReadSince } from '../../interfaces/sse-transport.interface.js';
import { newEpoch } from '../../util/epoch.js';
import { channelTag } from './channel-id.js';
import { runScript } from './redis-scripts.js';
import { MISSED_SINCE_SCRIPT, WATCH_SCRIPT } from './sequence-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';
import type { RedisKeys } from './redis-keys.js';
import { toReadSince } from './stream-entry.js';

/**
 * The sequence events are numbered in on Redis (streams on many channels):
 * one hash, `<keyPrefix>\0seq` (a NUL: no channel name has one), across
 * channels on one server; each channel's own on a cluster (see
 * redis-keys.ts). And what names a new sequence — never one named before,
 * so that a sequence Redis made anew (it lost its data) never takes an old
 * cursor for its own.
 */
export class SequenceKey {
  readonly newEpoch = newEpoch;

  constructor(private readonly keys: RedisKeys) {}

  /** The three keys of a channel the sequence's scripts take: its Stream, its sequence, its watch mark. */
  scriptKeys(channel: string): [string, string, string] {
    return this.keys.scriptKeys(channel);
  }

  /** Marks a channel watched (see WATCH_SCRIPT); the mark expires after `ms` (0: never). */
  async watched(commands: RedisClientLike, channel: string, ms: number): Promise<void> {
    await runScript(commands, WATCH_SCRIPT, this.scriptKeys(channel), [ms, this.newEpoch()]);
  }

  /** Up to `count` events of the channel after position `seq` (see MISSED_SINCE_SCRIPT). */
  async readSince(commands: RedisClientLike, channel: string, seq: number, count: number, fromStart: boolean): Promise<SseTransportReadSince> {
    const keys = this.scriptKeys(channel);
    const reply = (await runScript(commands, MISSED_SINCE_SCRIPT, keys, [seq, count])) as unknown[];
    return toReadSince(reply, channelTag(keys[0]), seq, fromStart);
  }
}
