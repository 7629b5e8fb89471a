import type { OnApplicationShutdown } from '@nestjs/common';
import type {
  SseCounter,
  SseHistogram,
  SseMeter,
  SseMeterProvider,
  SseMetricAttributes,
  SseObservable,
} from '../interfaces/sse-metrics-options.interface.js';
import { ChannelMeter, TemplateTally } from './channel-meter.js';
import { ChannelTemplates } from './channel-templates.js';
import type { ChannelCounter, Meters, TransportOperation } from '../model/meters.js';
import { httpRoute, RouteMeter, type StreamInstruments } from './route-meter.js';

export const METER_NAME = 'nestjs-sse-channel';
/** `ValueType.INT` of `@opentelemetry/api` (not imported: it is optional). */
const INT = 0;
/** Publish-to-write delay buckets, in seconds: 0.1 ms to 10 s. */
const DELAY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];


type Observation = { observe(value: number, attributes?: SseMetricAttributes): void };

/**
 * The library's OpenTelemetry instruments, made once per application; `null`
 * in its place when metrics are off, so that every hot path pays one branch.
 *
 * Per stream (opened, closed, refused) the counters are added to at once.
 * What happens per event or per write (published, delivered, replayed,
 * resets, bytes) is summed in plain numbers per route or channel template
 * and read by observable counters when the metrics are collected; the only
 * instrument recorded per event is the publish-to-write delay (once per event
 * and turn, not per client). Attributes are bounded: the route's path
 * template, the channel's template, the event name, a reason.
 */
export class SseMetrics implements Meters, OnApplicationShutdown {
  /** The declared channel names and templates (routes, the `channels` option). */
  readonly templates = new ChannelTemplates();
  private readonly routes = new Map<string, RouteMeter>();
  private readonly tallies = new Map<string, TemplateTally>();
  private readonly streams: StreamInstruments;
  private readonly delay: SseHistogram;
  private readonly transportErrors: SseCounter;
  private readonly observers: [SseObservable, (result: Observation) => void][] = [];

  constructor(provider: SseMeterProvider) {
    const meter = provider.getMeter(METER_NAME);
    const count = (unit: string, description: string) => ({ unit, description, valueType: INT });
    this.streams = {
      active: meter.createUpDownCounter('sse.streams.active', count('{stream}', 'Event streams open now.')),
      opened: meter.createCounter('sse.streams.opened', count('{stream}', 'Event streams opened (their headers sent).')),
      closed: meter.createCounter('sse.streams.closed', count('{stream}', 'Event streams ended, by reason.')),
      refused: meter.createCounter('sse.streams.refused', count('{stream}', 'Stream requests refused before a stream opened, by reason.')),
    };
    this.delay = meter.createHistogram('sse.events.delivery.duration', {
      unit: 's',
      description: "From an event's publish (from a shared transport: its arrival) to its write to the live clients.",
      advice: { explicitBucketBoundaries: DELAY_BUCKETS },
    });
    this.transportErrors = meter.createCounter('sse.transport.errors', count('{error}', 'What the transport could not do, by operation.'));
    this.observeRoutes(meter);
    this.observeTallies(meter);
  }

  declareTemplate(template: string): void {
    this.templates.add(template);
  }

  /** The metrics of a new channel: its template's sums and its own publish times. */
  channel(name: string): ChannelMeter {
    return new ChannelMeter(this.tally(this.templates.of(name)), this.delay);
  }

  /** One event published to `channel` (whose meter is given when this instance has the channel). */
  published(channel: string, counter: ChannelCounter | undefined, event: string | undefined): void {
    ((counter as ChannelMeter | undefined)?.tally ?? this.tally(this.templates.of(channel))).publish(event);
  }

  /** The metrics of a request's route, by its path template (`fallback` where the framework does not tell). */
  route(req: unknown, fallback: string): RouteMeter {
    const route = httpRoute(req, fallback);
    let meter = this.routes.get(route);
    if (!meter) {
      meter = new RouteMeter(route, this.streams);
      this.routes.set(route, meter);
    }
    return meter;
  }

  transportError(operation: TransportOperation): void {
    this.transportErrors.add(1, { 'sse.transport.operation': operation });
  }

  /** The observable counters stop reading this application's sums (a provider may outlive it). */
  onApplicationShutdown(): void {
    for (const [observable, callback] of this.observers.splice(0)) {
      observable.removeCallback(callback);
    }
  }

  private tally(template: string): TemplateTally {
    let tally = this.tallies.get(template);
    if (!tally) {
      tally = new TemplateTally(template);
      this.tallies.set(template, tally);
    }
    return tally;
  }

  private observe(observable: SseObservable, callback: (result: Observation) => void): void {
    observable.addCallback(callback);
    this.observers.push([observable, callback]);
  }

  private observeRoutes(meter: SseMeter): void {
    const written = meter.createObservableCounter('sse.streams.written', {
      unit: 'By',
      description: 'Bytes written to event streams after their headers: events, replays, retry, heartbeats.',
      valueType: INT,
    });
    this.observe(written, (result) => {
      for (const route of this.routes.values()) {
        result.observe(route.bytes, route.attributes);
      }
    });
  }

  private observeTallies(meter: SseMeter): void {
    const counter = (name: string, description: string, read: (tally: TemplateTally, result: Observation) => void) =>
      this.observe(meter.createObservableCounter(name, { unit: '{event}', description, valueType: INT }), (result) => {
        for (const tally of this.tallies.values()) {
          read(tally, result);
        }
      });
    counter('sse.events.published', 'Events published, by channel template and event name.', (tally, result) => {
      for (const [event, value] of tally.published) {
        result.observe(value, event === '' ? tally.attributes : { ...tally.attributes, 'sse.event.name': event });
      }
    });
    counter('sse.events.delivered', 'Event frames written to live clients (one per event and client).', (tally, result) =>
      result.observe(tally.delivered, tally.attributes),
    );
    counter('sse.events.replayed', 'Event frames written to clients catching up after their Last-Event-ID.', (tally, result) =>
      result.observe(tally.replayed, tally.attributes),
    );
    counter('sse.events.resets', 'Reset events sent to clients whose Last-Event-ID could not be resumed, by reason.', (tally, result) => {
      for (const [reason, value] of tally.resets) {
        result.observe(value, { ...tally.attributes, 'sse.reset.reason': reason });
      }
    });
  }
}
