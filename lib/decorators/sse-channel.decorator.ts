import 'reflect-metadata';
import { RequestMapping, RequestMethod, Res, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { SseRouteOptions } from '../interfaces/sse-route-options.interface.js';
import { documentSseRoute } from '../openapi/sse-openapi.js';
import { routeInterceptor } from '../routing/sse-route.interceptor.js';
import { parseChannelTemplate, templateParams } from '../routing/channel-template.js';
import { boxHandlerResult } from '../routing/handler-result.js';
import type { SseRouteDefinition } from '../routing/sse-route.js';
import { assertRouteOptions } from '../sse-options.js';
import { SSE_ROUTE_METADATA } from '../sse.constants.js';

/**
 * Declares an SSE route on a controller method, like `@Get()` does for a
 * plain route. Guards, pipes and interceptors run as usual; what the handler
 * returns decides the stream:
 *
 * - nothing: the client joins the route's channel (`:param` segments are filled
 *   in from the route's params: `rooms/:id` → `rooms/42`);
 * - an Observable (or a Promise of one): it is this client's own stream, each
 *   value one frame — an `@Sse()` handler works unchanged;
 * - a handle from `SseBroadcaster.channel(name)`: the client joins that channel.
 *
 * @param channel the channel the route's clients join; also the default path
 * @param options path, method, the route's event name, and per-route overrides
 *
 * With `@nestjs/swagger` installed, the route documents itself: a 200
 * `text/event-stream` response naming its events (see the `schema` option)
 * and its path's `:param`s. Nothing is imported from swagger.
 *
 * @publicApi
 */
export function SseChannel(channel?: string, options?: SseRouteOptions): MethodDecorator;
/**
 * Declares an SSE route without a channel of its own (the handler returns an
 * Observable or `SseBroadcaster.channel(name)`): `@SseChannel({ path, event })`.
 *
 * @publicApi
 */
export function SseChannel(options: SseRouteOptions): MethodDecorator;
export function SseChannel(channelOrOptions?: string | SseRouteOptions, routeOptions: SseRouteOptions = {}): MethodDecorator {
  const [channel, options] =
    channelOrOptions !== null && typeof channelOrOptions === 'object' ? [undefined, channelOrOptions] : [channelOrOptions, routeOptions];
  return (target, key, descriptor) => {
    const handlerName = `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`;
    const where = `@SseChannel() on ${handlerName}`;
    assertRouteOptions(where, channel, options);
    const segments = channel === undefined ? undefined : parseChannelTemplate(channel, where);
    const path = options.path ?? channel ?? '/';
    const route: SseRouteDefinition = {
      channel,
      segments,
      params: segments === undefined ? [] : templateParams(segments),
      paths: [path].flat(),
      path: Array.isArray(path) ? path.join(', ') : path,
      event: options.event ?? '',
      retry: options.retry,
      heartbeat: options.heartbeat,
      maxQueuedBytes: options.maxQueuedBytes,
      maxHeaderDelay: options.maxHeaderDelay,
      serialize: options.serialize,
      from: options.from,
      identify: options.identify,
      expiresAt: options.expiresAt,
      maxClientsPerIdentity: options.maxClientsPerIdentity,
      presence: options.presence,
      handlerName,
    };
    const typed = descriptor as unknown as TypedPropertyDescriptor<(...args: never[]) => unknown>;
    typed.value = boxHandlerResult(typed.value!);
    documentSseRoute(target, key, typed.value, {
      paths: route.paths,
      event: route.event,
      presence: options.presence ?? false,
      schema: options.schema,
    });
    const method = options.method ?? RequestMethod.GET;
    RequestMapping({ path, method })(target, key, descriptor);
    // (The start-up explorer reads the route from this metadata; the interceptor is given it.)
    SetMetadata(SSE_ROUTE_METADATA, route)(target, key, descriptor);
    UseInterceptors(routeInterceptor(`${where} (${RequestMethod[method]} ${route.path})`, route))(target, key, descriptor);
    // The route writes its own response: tell Nest, which then sends nothing
    // itself, by declaring the response a parameter — at index -1, so the
    // handler's own arguments stay exactly as the user declared them.
    Res()(target, key as string, -1);
    return descriptor;
  };
}
