import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SseBroadcaster } from './broadcaster/sse-broadcaster.service.js';
import type {
  SseModuleAsyncOptions,
  SseModuleOptions,
} from './interfaces/sse-module-options.interface.js';
import { resolveModuleOptions } from './sse-options.js';
import { SSE_MODULE_OPTIONS } from './sse.constants.js';
import { SseRoutesExplorer } from './routing/sse-routes.explorer.js';
import { ChannelRegistry } from './streaming/channel-registry.js';
import { ConnectionTracker } from './streaming/connection-tracker.js';
import { StreamOpener } from './streaming/stream-opener.js';

const PROVIDERS: Provider[] = [ConnectionTracker, ChannelRegistry, StreamOpener, SseBroadcaster, SseRoutesExplorer];
// StreamOpener is exported for the route interceptor, which Nest creates in
// the module of each controller that has an @SseChannel() route.
const EXPORTS = [SSE_MODULE_OPTIONS, StreamOpener, SseBroadcaster];

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
    const resolved = resolveModuleOptions(options);
    return {
      module: SseModule,
      global: options.global ?? true,
      imports: [DiscoveryModule],
      providers: [{ provide: SSE_MODULE_OPTIONS, useValue: resolved }, ...PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** Registers the module with options from a factory (e.g. from `ConfigService`). */
  static forRootAsync(options: SseModuleAsyncOptions): DynamicModule {
    if (typeof options?.useFactory !== 'function') {
      throw new Error('SseModule.forRootAsync() needs a useFactory function that returns the module options.');
    }
    return {
      module: SseModule,
      global: options.global ?? true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        {
          provide: SSE_MODULE_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) => {
            const value = await options.useFactory(...args);
            if (value && typeof value === 'object' && 'global' in value) {
              throw new Error('SseModule.forRootAsync(): "global" goes next to useFactory, not in the options it returns.');
            }
            return resolveModuleOptions(value);
          },
        },
        ...PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }
}
