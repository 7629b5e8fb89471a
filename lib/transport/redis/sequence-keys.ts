import type { SseTransportReadSince } from '../../interfaces/sse-transport.interface.js';
import { newEpoch } from '../../util/epoch.js';
import { channelTag } from './channel-id.js';
import { runScript } from './redis-scripts.js';
import { MISSED_SINCE_SCRIPT, WATCH_SCRIPT } from './sequence-scripts.js';
import type { RedisClientLike } from './redis-transport-options.interface.js';
import { toReadSince } from './stream-entry.js';

/**
 * The sequence across channels on Redis (streams on many channels): one hash
 * per key prefix, `<keyPrefix>\0seq` (a NUL: no channel name has one), and
 * what names a new sequence — never one named before, so that a sequence
 * Redis made anew (it lost its data) never takes an old cursor for its own.
 */
export class SequenceKey {
  readonly key: string;
  readonly newEpoch = newEpoch;

  constructor(keyPrefix: string) {
    this.key = `${keyPrefix}\0seq`;
  }

  /** Marks a channel watched (see WATCH_SCRIPT); the mark expires after `ms` (0: never). */
  async watched(commands: RedisClientLike, streamKey: string, ms: number): Promise<void> {
    await runScript(commands, WATCH_SCRIPT, [streamKey, this.key, watchMarkOf(streamKey)], [ms, this.newEpoch()]);
  }

  /** Up to `count` events of the channel after position `seq` (see MISSED_SINCE_SCRIPT). */
  async readSince(commands: RedisClientLike, streamKey: string, seq: number, count: number, fromStart: boolean): Promise<SseTransportReadSince> {
    const reply = (await runScript(commands, MISSED_SINCE_SCRIPT, [streamKey, this.key, watchMarkOf(streamKey)], [seq, count])) as unknown[];
    return toReadSince(reply, channelTag(streamKey), seq, fromStart);
  }
}

/** The key of a channel's watch mark (see WATCH_SCRIPT), from its Stream's key. */
export function watchMarkOf(streamKey: string): string {
  return `${streamKey}\0watched`;
}
