import type { CloseReason } from './close-reason.js';
import type { ResetReason } from './reset-reason.js';

/**
 * What the core tells metrics — the small interfaces it owns, so that it never
 * imports metrics/ (which implements them with OpenTelemetry instruments).
 * Where metrics are off there is no meter at all: one branch per hot path.
 */

/** Why a stream request was refused before it opened (its status: 401, 429, 503, 503). */
export type RefusalReason = 'expired' | 'max_clients_per_identity' | 'max_clients' | 'unavailable';

/** What a transport could not do: publish, read history, subscribe to a channel, or keep its connection. */
export type TransportOperation = 'publish' | 'read' | 'subscribe' | 'connection';

/** The metrics of the streams of one route. */
export interface StreamMeter {
  /** Bytes written to its streams: added to on each write. */
  bytes: number;
  opened(): void;
  closed(reason: CloseReason): void;
  refused(reason: RefusalReason): void;
}

/** The metrics of one channel. */
export interface ChannelCounter {
  /** An event was queued for its live clients (its publish-to-write delay starts). */
  queued(): void;
  /** The turn's batch was dropped unwritten (its last client left). */
  dropped(): void;
  /** Frames written to live clients in one turn. */
  delivered(frames: number): void;
  /** Frames replayed to a client that resumed. */
  replayed(frames: number): void;
  reset(reason: ResetReason): void;
}

/** Every meter of the application. */
export interface Meters {
  /** A declared channel name or template (a route's channel, a `channels` key): channels count under it. */
  declareTemplate(template: string): void;
  channel(name: string): ChannelCounter;
  published(channel: string, counter: ChannelCounter | undefined, event: string | undefined): void;
  /** The meter of a route's streams (`fallback`: its name, where the framework does not tell its path). */
  route(req: unknown, fallback: string): StreamMeter;
  transportError(operation: TransportOperation): void;
}
