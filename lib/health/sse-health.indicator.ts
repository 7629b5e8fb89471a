import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../options/module-options.js';
import { SSE_MODULE_OPTIONS } from '../sse.constants.js';
import { ChannelRegistry } from '../registry/channel-registry.js';
import { ConnectionTracker } from '../tracker/connection-tracker.js';
import type { SseTransport } from '../interfaces/sse-transport.interface.js';
import type { SseHealthDetails, SseHealthIndicatorResult } from './sse-health-indicator-result.interface.js';

/**
 * A health indicator of the SSE transport, for `@nestjs/terminus`: in memory
 * always up; on Redis up only while both connections (commands and
 * subscriptions) are ready. Provided by `SseModule`; it does not need
 * terminus, which is an optional peer dependency.
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.sse.isHealthy('sse')]);
 * }
 * ```
 *
 * A transport without a `health()` method is reported up.
 *
 * @publicApi
 */
@Injectable()
export class SseHealthIndicator {
  private readonly transport: SseTransport | undefined;
  private readonly transportName: string;

  constructor(
    // (Counts read directly: totals() would also walk every stream for its queued bytes.)
    private readonly tracker: ConnectionTracker,
    private readonly registry: ChannelRegistry,
    @Inject(SSE_MODULE_OPTIONS) options: ResolvedSseModuleOptions,
  ) {
    this.transport = options.transport;
    this.transportName = options.transport ? options.transport.constructor?.name || 'custom' : 'memory';
  }

  /**
   * The transport's state now, under `key` — synchronous and cheap (nothing is
   * sent to Redis), so it may be polled often.
   *
   * @param key the name of the result in the health check's output (`'sse'` when left out)
   */
  isHealthy<const Key extends string = 'sse'>(key: Key = 'sse' as Key): SseHealthIndicatorResult<Key> {
    const health = this.transport?.health?.() ?? { up: true };
    const details: SseHealthDetails = {
      status: health.up ? 'up' : 'down',
      transport: this.transportName,
      streams: this.tracker.count,
      channels: this.registry.size,
    };
    for (const [name, value] of Object.entries(health.details ?? {})) {
      if (!(name in details)) {
        details[name] = value; // (the transport's facts never replace the ones above)
      }
    }
    if (!health.up && health.message !== undefined) {
      details.message = health.message;
    }
    return { [key]: details } as SseHealthIndicatorResult<Key>;
  }
}
