import type { SseRouteOptions } from '../interfaces/sse-route-options.interface.js';
import { declareSseRoute } from './sse-route.decorator.js';

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
export function SseChannel(pathOrOptions?: string | string[] | SseRouteOptions, routeOptions?: SseRouteOptions): MethodDecorator {
  return declareSseRoute('SseChannel', pathOrOptions, routeOptions);
}
