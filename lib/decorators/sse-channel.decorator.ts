import 'reflect-metadata';
import { RequestMapping, RequestMethod, Res, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { SseRouteOptions } from '../interfaces/sse-route-options.interface.js';
import { documentSseRoute } from '../openapi/sse-openapi.js';
import { routeInterceptor } from '../routing/sse-route.interceptor.js';
import { parseChannelTemplate, templateParams } from '../model/channel-template.js';
import { boxHandlerResult } from '../routing/handler-result.js';
import type { SseRouteDefinition } from '../routing/sse-route.js';
import { resolveRouteOptions } from '../options/route-options.js';
import * as messages from '../sse.messages.js';
import { SSE_ROUTE_METADATA } from '../sse.constants.js';

/**
 * Declares an SSE route on a controller method, like `@Get()` or `@Sse()` do:
 * the first argument is the route's path, relative to the controller. Guards,
 * pipes and interceptors run as usual; what the handler returns decides the
 * stream:
 *
 * - nothing: the client joins the route's channel — by default the route's
 *   full path without global prefix or version (`@Controller('rooms')` +
 *   `@SseChannel(':id')` serves `GET /rooms/42` on channel `rooms/42`), or
 *   the `channel` option (`{ channel: 'rooms/:id' }`), its `:param`s filled in
 *   from the request's params;
 * - an Observable (or a Promise of one): it is this client's own stream, each
 *   value one frame — an `@Sse()` handler works unchanged;
 * - a handle from `SseBroadcaster.channel(name)`: the client joins that channel.
 *
 * @param path the route path, as `@Get()` takes it (default: the controller's root)
 * @param options the channel when it is not the path, method, the route's
 * event name, and per-route overrides
 *
 * With `@nestjs/swagger` installed, the route documents itself: a 200
 * `text/event-stream` response naming its events (see the `schema` option)
 * and its path's `:param`s. Nothing is imported from swagger.
 *
 * @publicApi
 */
export function SseChannel(path?: string | string[], options?: SseRouteOptions): MethodDecorator;
/**
 * Declares an SSE route at the controller's root: `@SseChannel({ event: 'tick' })`.
 *
 * @publicApi
 */
export function SseChannel(options: SseRouteOptions): MethodDecorator;
export function SseChannel(pathOrOptions?: string | string[] | SseRouteOptions, routeOptions: SseRouteOptions = {}): MethodDecorator {
  const [path, options] = isOptions(pathOrOptions) ? [undefined, pathOrOptions] : [pathOrOptions, routeOptions];
  return (target, key, descriptor) => {
    const handlerName = `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`;
    const where = `@SseChannel() on ${handlerName}`;
    assertPath(where, path, options);
    // The route definition is the resolved options (what the schema gives), with where the route is.
    const { method, schema, ...resolved } = resolveRouteOptions(where, options);
    const channel = resolved.channel;
    const segments = channel === undefined ? undefined : parseChannelTemplate(channel, `${where} option channel`);
    const paths = [path ?? '/'].flat();
    const route: SseRouteDefinition = {
      ...resolved,
      channelOption: channel,
      segments,
      params: segments === undefined ? [] : templateParams(segments),
      paths,
      path: paths.join(', '),
      handlerName,
    };
    const typed = descriptor as unknown as TypedPropertyDescriptor<(...args: never[]) => unknown>;
    typed.value = boxHandlerResult(typed.value!);
    documentSseRoute(target, key, typed.value, {
      paths: route.paths,
      event: route.event,
      presence: route.presence ?? false,
      schema,
    });
    RequestMapping({ path: path ?? '/', method })(target, key, descriptor);
    // (The start-up explorer reads the route from this metadata — and gives it
    // its channel when that is its path; the interceptor is given it.)
    SetMetadata(SSE_ROUTE_METADATA, route)(target, key, descriptor);
    UseInterceptors(routeInterceptor(`${where} (${RequestMethod[method]} ${route.path})`, route))(target, key, descriptor);
    // The route writes its own response: tell Nest, which then sends nothing
    // itself, by declaring the response a parameter — at index -1, so the
    // handler's own arguments stay exactly as the user declared them.
    Res()(target, key as string, -1);
    return descriptor;
  };
}

/** A plain options object (not a path, not a path array). */
function isOptions(value: unknown): value is SseRouteOptions {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The path is a string or an array of them, as `@Get()` takes it; the former
 * `path` option is refused with the form that replaces it.
 */
function assertPath(where: string, path: unknown, options: SseRouteOptions): void {
  if (options !== null && typeof options === 'object' && 'path' in options) {
    throw new Error(messages.pathOptionRemoved(where, path, (options as { path?: unknown }).path));
  }
  const paths = [path ?? ''].flat();
  if (!paths.every((one) => typeof one === 'string')) {
    throw new Error(messages.invalidRoutePath(where, path));
  }
}
