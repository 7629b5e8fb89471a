import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SseBroadcaster } from './broadcaster/sse-broadcaster.service.js';
import { SseHealthIndicator } from './health/sse-health.indicator.js';
import { SseMcpEventStore } from './mcp/sse-mcp-event-store.js';
import type {
  SseModuleAsyncOptions,
  SseModuleOptions,
  SseModuleOptionsWithoutGlobal,
  SseOptionsFactory,
} from './interfaces/sse-module-options.interface.js';
import { SseRoutesExplorer } from './routing/sse-routes.explorer.js';
import { SSE_METRICS_PROVIDER } from './metrics/sse-metrics.provider.js';
import { assertAsyncOptionKeys, resolveModuleOptions } from './options/module-options.js';
import { SSE_MODULE_OPTIONS } from './sse.constants.js';
import * as messages from './sse.messages.js';
import { ChannelRegistry } from './registry/channel-registry.js';
import { ConnectionTracker } from './tracker/connection-tracker.js';
import { StreamOpener } from './session/stream-opener.js';

const PROVIDERS: Provider[] = [SSE_METRICS_PROVIDER, ConnectionTracker, ChannelRegistry, StreamOpener, SseBroadcaster, SseHealthIndicator, SseMcpEventStore, SseRoutesExplorer];
// StreamOpener is exported for the route interceptor, which Nest creates in
// the module of each controller that has an @SseChannel() route.
const EXPORTS = [StreamOpener, SseBroadcaster, SseHealthIndicator, SseMcpEventStore];

/** Checks what an async factory gave, and fills in the defaults. */
function resolveAsync(value: SseModuleOptionsWithoutGlobal) {
  if (value && typeof value === 'object' && 'global' in value) {
    throw new Error(messages.globalInAsyncOptions());
  }
  return resolveModuleOptions(value);
}

/** The provider of the resolved options for `forRootAsync()`, and the factory class it creates, if any. */
function asyncOptionsProviders(options: SseModuleAsyncOptions): Provider[] {
  const ways = (['useFactory', 'useClass', 'useExisting'] as const).filter((way) => options?.[way] !== undefined);
  if (ways.length !== 1) {
    throw new Error(messages.asyncOptionsWay(ways));
  }
  if (options.useFactory) {
    if (typeof options.useFactory !== 'function') {
      throw new Error(messages.asyncOptionsWay([]));
    }
    const factory = options.useFactory;
    return [
      {
        provide: SSE_MODULE_OPTIONS,
        inject: options.inject ?? [],
        useFactory: async (...args: unknown[]) => resolveAsync(await factory(...args)),
      },
    ];
  }
  const factoryClass = (options.useClass ?? options.useExisting)!;
  return [
    ...(options.useClass ? [{ provide: options.useClass, useClass: options.useClass }] : []),
    {
      provide: SSE_MODULE_OPTIONS,
      inject: [factoryClass],
      useFactory: async (factory: SseOptionsFactory) => resolveAsync(await factory.createSseOptions()),
    },
  ];
}

/** The module with its options' provider(s); global unless `global: false`. */
function sseModule(global: boolean | undefined, imports: NonNullable<DynamicModule['imports']>, options: Provider[]): DynamicModule {
  return { module: SseModule, global: global ?? true, imports: [DiscoveryModule, ...imports], providers: [...options, ...PROVIDERS], exports: EXPORTS };
}

/**
 * Server-Sent Events for Nest: import it once (it is global by default), put
 * `@SseChannel()` on controller methods and inject `SseBroadcaster`.
 *
 * @publicApi
 */
@Module({})
export class SseModule {
  /** Registers the module with static options (all optional; see {@link SseModuleOptions}). */
  static forRoot(options: SseModuleOptions = {}): DynamicModule {
    return sseModule(options.global, [], [{ provide: SSE_MODULE_OPTIONS, useValue: resolveModuleOptions(options) }]);
  }

  /**
   * Registers the module with options from a factory (`useFactory` with
   * `inject`, e.g. `ConfigService`), a class (`useClass`) or an existing
   * provider (`useExisting`) implementing {@link SseOptionsFactory}.
   */
  static forRootAsync(options: SseModuleAsyncOptions): DynamicModule {
    assertAsyncOptionKeys(options);
    return sseModule(options?.global, options?.imports ?? [], asyncOptionsProviders(options));
  }
}
