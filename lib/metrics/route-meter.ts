import type { SseCounter, SseMetricAttributes } from '../interfaces/sse-metrics-options.interface.js';
import type { CloseReason } from '../model/close-reason.js';
import type { RefusalReason, StreamMeter } from '../model/meters.js';

/** The instruments of streams. */
export interface StreamInstruments {
  readonly active: SseCounter;
  readonly opened: SseCounter;
  readonly closed: SseCounter;
  readonly refused: SseCounter;
}


/**
 * The metrics of the streams of one route (`http.route`, the path template
 * as the framework matched it): one object per route, shared by its streams.
 */
export class RouteMeter implements StreamMeter {
  /** Bytes written to its streams (after the headers): added to on each write, read when metrics are collected. */
  bytes = 0;
  readonly attributes: SseMetricAttributes;
  private readonly withReason = new Map<string, SseMetricAttributes>();

  constructor(
    route: string,
    private readonly instruments: StreamInstruments,
  ) {
    this.attributes = { 'http.route': route };
  }

  opened(): void {
    this.instruments.active.add(1, this.attributes);
    this.instruments.opened.add(1, this.attributes);
  }

  closed(reason: CloseReason): void {
    this.instruments.active.add(-1, this.attributes);
    this.instruments.closed.add(1, this.reasoned('sse.close.reason', reason));
  }

  refused(reason: RefusalReason): void {
    this.instruments.refused.add(1, this.reasoned('sse.refusal.reason', reason));
  }

  private reasoned(key: string, reason: string): SseMetricAttributes {
    let attributes = this.withReason.get(`${key}=${reason}`);
    if (!attributes) {
      attributes = { ...this.attributes, [key]: reason };
      this.withReason.set(`${key}=${reason}`, attributes);
    }
    return attributes;
  }
}

/**
 * The route's path template as the framework matched it — Express's
 * `req.route.path`, Fastify's `request.routeOptions.url` (with the global
 * prefix and version, as registered) — or `fallback` where it does not tell.
 */
export function httpRoute(req: unknown, fallback: string): string {
  const request = req as { route?: { path?: unknown }; routeOptions?: { url?: unknown } } | undefined;
  const path = request?.routeOptions?.url ?? request?.route?.path;
  return typeof path === 'string' && path !== '' ? path : fallback;
}
