import type { ChannelMember } from '../channel/channel.interfaces.js';
import type { Channel } from '../channel/channel.js';
import type { Cursor } from '../feed/feed.js';
import type { CloseReason, ServerCloseReason } from '../model/close-reason.js';
import { decodeFrames, type DecodedFrame } from '../wire/decoder.js';
import type { ChannelRegistry } from './channel-registry.js';

/** What a follower hands on: each frame, awaited in order; and, once, why it stopped. */
export interface FollowerSink {
  frame(frame: DecodedFrame): Promise<void> | void;
  stopped(reason: CloseReason): void;
}

/**
 * A reader of one channel inside this process: a member of the channel like a
 * client's stream, so it gets what a client with its cursor gets — what it
 * missed, then every live event, with no gap and no duplicate (on a shared
 * transport, from every instance). Each frame goes to the sink in order, the
 * next once the sink is done with the one before; a sink that fails stops
 * it (with `error`: the sink knows what failed).
 * It holds the channel until `stop()` (or the channel's end).
 */
export class ChannelFollower implements ChannelMember {
  closed = false;
  readonly eventName = '';
  readonly identity = undefined;
  /** (No queue bound: the sink paces the replay, and a channel's history is bounded.) */
  readonly maxQueuedBytes = 0;
  private channel: Channel | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly sink: FollowerSink) {}

  /** Joins `name` after `cursor`; rejects (stopped) when the channel cannot be had (e.g. the transport is down). */
  async follow(registry: ChannelRegistry, name: string, cursor: Cursor): Promise<void> {
    const channel = await registry.acquire(name);
    try {
      if (!this.closed) {
        this.channel = channel;
        channel.join(this, cursor);
      }
    } finally {
      registry.release(channel);
    }
  }

  write(chunk: string | Buffer, onFlushed?: () => void): boolean {
    if (this.closed) {
      return false;
    }
    const frames = decodeFrames(String(chunk));
    this.queue = this.queue.then(async () => {
      for (const frame of frames) {
        if (this.closed) return;
        await this.sink.frame(frame);
      }
    });
    this.queue.then(onFlushed, () => this.stop('error'));
    return true;
  }

  end(lastChunk?: string | Buffer, reason: ServerCloseReason = 'server'): void {
    if (lastChunk !== undefined) {
      this.write(lastChunk);
    }
    // (What is written is handed on before the sink hears of the stop.)
    void this.queue.then(
      () => this.stop(reason),
      () => this.stop('error'),
    );
  }

  /** Leaves the channel; the sink hears `reason` (once). */
  stop(reason: CloseReason): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.channel?.leave(this, reason);
    this.sink.stopped(reason);
  }
}
