import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { SSE_LOGGER_CONTEXT, SSE_ROUTE_METADATA } from '../sse.constants.js';
import { PATH_METADATA, pathParams } from './path-params.js';
import * as messages from '../sse.messages.js';
import { ChannelRegistry } from '../registry/channel-registry.js';
import { channelTemplatesMeet, parseChannelTemplate, templateMatches, templateParams } from '../model/channel-template.js';
import type { SseRouteDefinition } from './sse-route.js';

/** Nest's metadata key of `@UseGuards()` (the same in Nest 11 and 12; test/unit/dependencies.spec.ts compares it). */
export const GUARDS_METADATA = '__guards__';
/** Nest's metadata key of `@Sse()`, on the handler function (test/unit/dependencies.spec.ts compares it). */
export const SSE_METADATA = '__sse__';

/** One `@SseChannel()` route with a channel name, and the guards on it. */
interface ChannelRoute {
  readonly route: SseRouteDefinition;
  readonly label: string;
  readonly guards: readonly unknown[];
}

/**
 * Every `:param` of a route's channel must be a param of each of its paths
 * (with its controller's): otherwise every request would fail. Fails start-up,
 * naming the handler.
 */
function assertParamsInPath(route: SseRouteDefinition, prefixes: readonly string[]): void {
  for (const prefix of prefixes) {
    for (const path of route.paths) {
      const params = new Set(pathParams([`${prefix}/${path}`]));
      const missing = route.params.find((param) => !params.has(param));
      if (missing !== undefined) {
        throw new Error(messages.channelParamNotInPath(route.handlerName, route.channel!, missing, joinPath(prefix, path)));
      }
    }
  }
}

const joinPath = (...parts: string[]) =>
  `/${parts.map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;

/** What a route path has that a channel name cannot: wildcards, optional parts, groups, escapes. */
const PATH_SYNTAX = /[*?{}()[\]\\"+]/;

/**
 * Gives a route without the `channel` option its channel: its full path
 * (controller's and route's, without global prefix or version). A route at
 * several paths, or at a path that is no channel name, fails start-up,
 * naming the handler; one at the application's root has none.
 */
function assignDefaultChannel(route: SseRouteDefinition, fullPaths: readonly string[]): void {
  if (fullPaths.length > 1) {
    throw new Error(messages.channelNeedsName(route.handlerName, fullPaths.map((path) => path.slice(1))));
  }
  const name = fullPaths[0].slice(1);
  if (name === '') {
    return;
  }
  if (PATH_SYNTAX.test(name)) {
    throw new Error(messages.pathNotAChannel(route.handlerName, name, 'it has wildcards, optional parts or escapes.'));
  }
  let segments;
  try {
    segments = parseChannelTemplate(name, route.handlerName);
  } catch (error) {
    throw new Error(messages.pathNotAChannel(route.handlerName, name, messages.errorText(error).slice(route.handlerName.length + 2)), {
      cause: error,
    });
  }
  if (route.channel !== undefined && route.channel !== name) {
    throw new Error(messages.channelsDiffer(route.handlerName, route.channel, name));
  }
  route.channel = name;
  route.segments = segments;
  route.params = templateParams(segments);
}

/**
 * Checks every `@SseChannel()` route once the application starts, and gives
 * a route without the `channel` option its path as its channel (only now is
 * the controller's path known). A channel `:param` that the route's path
 * lacks fails start-up, as does Nest's `@Sse()` on the same method. When two routes can
 * put clients on the same channel and their guards differ, it warns, naming
 * both: a channel is only as protected as the least-guarded route that
 * reaches it (`news/:topic` open and `news/internal` guarded).
 */
@Injectable()
export class SseRoutesExplorer implements OnModuleInit {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: ChannelRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    let found: ReturnType<SseRoutesExplorer['channelRoutes']>;
    try {
      found = this.channelRoutes();
    } catch (error) {
      // The app will not start, and Nest runs no shutdown hook then: the transport (connected by
      // now) is closed here, or its connections would keep the process alive.
      this.registry.beforeApplicationShutdown();
      await this.registry.onApplicationShutdown().catch(() => undefined);
      throw error;
    }
    const { routes, requestTimeChannels } = found;
    // (Outside production: a publish to a channel none of these can stream is warned about.)
    this.registry.reach?.declare(routes.map(({ route }) => route.channel!), requestTimeChannels);
    for (const { route } of routes) {
      // Metrics count its channels under the template (`rooms/:id`), never under their names.
      this.registry.metrics?.declareTemplate(route.channel!);
      if (route.presence) {
        // Its channels have presence on every instance, whether or not a client of it is here.
        const segments = route.segments!;
        this.registry.presence.addTemplate((channel) => templateMatches(segments, channel));
      }
    }
    for (let i = 0; i < routes.length; i++) {
      for (let j = i + 1; j < routes.length; j++) {
        const [a, b] = [routes[i], routes[j]];
        const channel = channelTemplatesMeet(a.route.segments!, b.route.segments!);
        if (channel !== undefined && !sameGuards(a.guards, b.guards)) {
          this.logger.warn(messages.guardsDiffer(channel, describe(a), describe(b)));
        }
      }
    }
  }

  /** The routes with a channel name; `requestTimeChannels`: an `@SseChannels()` route names channels per request. */
  private channelRoutes(): { routes: ChannelRoute[]; requestTimeChannels: boolean } {
    const routes: ChannelRoute[] = [];
    let requestTimeChannels = false;
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      const prototype = controller?.prototype as Record<string, unknown> | undefined;
      if (!controller || !prototype) {
        continue;
      }
      const classGuards = this.reflector.get<unknown[] | undefined>(GUARDS_METADATA, controller) ?? [];
      const prefixes = [this.reflector.get<string | string[] | undefined>(PATH_METADATA, controller) ?? ''].flat();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as () => unknown;
        const route = this.reflector.get<SseRouteDefinition | undefined>(SSE_ROUTE_METADATA, handler);
        if (route === undefined) {
          continue;
        }
        if (this.reflector.get<unknown>(SSE_METADATA, handler)) {
          // (Nest's router would take the route as its own @Sse() stream.)
          throw new Error(messages.sseAndSseChannel(route.handlerName, route.multi ? 'SseChannels' : 'SseChannel'));
        }
        if (route.multi) {
          requestTimeChannels = true;
          // (Its channels are the handler's to name; the multiplexer needs a sequence across channels.)
          if (this.registry.multiplexer === undefined) {
            throw new Error(messages.multiplexingNeedsSequence(route.handlerName));
          }
          continue;
        }
        const paths = [...new Set(prefixes.flatMap((prefix) => route.paths.map((path) => joinPath(prefix, path))))];
        if (route.channelOption === undefined) {
          assignDefaultChannel(route, paths);
        } else {
          assertParamsInPath(route, prefixes);
        }
        if (route.segments === undefined) {
          continue;
        }
        const guards = [...classGuards, ...(this.reflector.get<unknown[] | undefined>(GUARDS_METADATA, handler) ?? [])];
        routes.push({ route, guards, label: `${route.handlerName} (${paths.join(', ')})` });
      }
    }
    return { routes, requestTimeChannels };
  }
}

function sameGuards(a: readonly unknown[], b: readonly unknown[]): boolean {
  const [x, y] = [new Set(a), new Set(b)];
  return x.size === y.size && [...x].every((guard) => y.has(guard));
}

function describe({ route, label, guards }: ChannelRoute): string {
  const names = guards.map((guard) =>
    typeof guard === 'function' ? guard.name : ((guard as object)?.constructor?.name ?? String(guard)),
  );
  return `${label}, channel ${messages.quote(route.channel)}, ${names.length ? `guards ${names.join(', ')}` : 'no guards'}`;
}
