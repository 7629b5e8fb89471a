import type { ChannelCounter } from '../model/meters.js';
import type { SseHistogram, SseMetricAttributes } from '../interfaces/sse-metrics-options.interface.js';
import type { ResetReason } from '../model/reset-reason.js';

/**
 * What the channels of one template (`rooms/:id`) did, as plain sums: the
 * hot paths add to numbers, and the observable counters read them when the
 * metrics are collected.
 */
export class TemplateTally {
  readonly attributes: SseMetricAttributes;
  /** Event frames written to live clients. */
  delivered = 0;
  /** Event frames written to clients catching up (replay). */
  replayed = 0;
  readonly resets = new Map<ResetReason, number>();
  /** Events published, by event name ('' for none). */
  readonly published = new Map<string, number>();

  constructor(readonly template: string) {
    this.attributes = { 'sse.channel.template': template };
  }

  publish(event: string | undefined): void {
    const name = event ?? '';
    this.published.set(name, (this.published.get(name) ?? 0) + 1);
  }
}

/**
 * The metrics of one channel: its template's sums, and the times at which
 * this turn's events joined the channel's batch for its live clients — one
 * clock read per event, one more per turn when the batch is written, none
 * per client.
 */
export class ChannelMeter implements ChannelCounter {
  private stamps: number[] = [];

  constructor(
    readonly tally: TemplateTally,
    private readonly latency: SseHistogram,
  ) {}

  /** An event joined this turn's batch (at its publish, in memory; at its arrival, from a shared transport). */
  queued(): void {
    this.stamps.push(performance.now());
  }

  /** The turn's batch was dropped unwritten (its last client left). */
  dropped(): void {
    this.stamps = [];
  }

  /** The turn's batch (one time each in `stamps`) was written to the live clients: `frames` frames in all. */
  delivered(frames: number): void {
    const { stamps } = this;
    this.stamps = [];
    this.tally.delivered += frames;
    const now = performance.now();
    for (const stamp of stamps) {
      this.latency.record((now - stamp) / 1000, this.tally.attributes);
    }
  }

  replayed(frames: number): void {
    this.tally.replayed += frames;
  }

  reset(reason: ResetReason): void {
    this.tally.resets.set(reason, (this.tally.resets.get(reason) ?? 0) + 1);
  }
}
