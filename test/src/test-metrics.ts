import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

/** A reader that collects only when asked. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One data point: its attributes and its value (a sum, or a histogram's count and sum). */
export interface TestPoint {
  readonly attributes: Record<string, unknown>;
  readonly value: number;
  readonly count?: number;
}

/** What was recorded when collected: every point of every instrument, by name. */
export class TestMetricsSnapshot {
  constructor(readonly metrics: Map<string, MetricData>) {}

  points(name: string): TestPoint[] {
    const metric = this.metrics.get(name);
    if (!metric) {
      return [];
    }
    return metric.dataPoints.map((point) => {
      const value = point.value as number | { count: number; sum?: number };
      return metric.dataPointType === DataPointType.HISTOGRAM && typeof value === 'object'
        ? { attributes: point.attributes, value: value.sum ?? 0, count: value.count }
        : { attributes: point.attributes, value: value as number };
    });
  }

  /** The sum of the points of `name` whose attributes include `attributes`. */
  value(name: string, attributes: Record<string, unknown> = {}): number {
    return this.matching(name, attributes).reduce((total, point) => total + point.value, 0);
  }

  /** How many values a histogram got, over the points whose attributes include `attributes`. */
  count(name: string, attributes: Record<string, unknown> = {}): number {
    return this.matching(name, attributes).reduce((total, point) => total + (point.count ?? 0), 0);
  }

  /** Every attribute value of every point. */
  attributeValues(): string[] {
    return [...this.metrics.keys()].flatMap((name) => this.points(name).flatMap((point) => Object.values(point.attributes).map(String)));
  }

  private matching(name: string, attributes: Record<string, unknown>): TestPoint[] {
    return this.points(name).filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
  }
}

/**
 * An OpenTelemetry SDK MeterProvider of the test's own (not the global one),
 * read on demand — what `metrics: { meterProvider }` records to.
 */
export class TestMetrics {
  private readonly reader = new OnDemandReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  async collect(): Promise<TestMetricsSnapshot> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) {
      throw errors[0];
    }
    const metrics = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        metrics.set(metric.descriptor.name, metric);
      }
    }
    return new TestMetricsSnapshot(metrics);
  }

  shutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}
