import type { SseRouteOptions } from '../interfaces/sse-route-options.interface.js';
import { declareSseRoute } from './sse-route.decorator.js';

/**
 * Declares an SSE route whose one stream carries **many channels**: every
 * channel the handler returns (`string[]`, or a Promise of it) for the
 * request. Guards, pipes and interceptors run first; the handler is where the
 * app authorizes each channel (throw `ForbiddenException` → `403` before any
 * byte). Each frame's `event:` is its channel's name (`<channel>#<name>` for
 * an event with a name of its own: presence, end, reset), so an
 * `EventSource` routes them with `addEventListener('rooms/42', …)`; each
 * frame's `id:` is one cursor for the whole stream, with which a client that
 * comes back gets, for every channel, exactly what it missed.
 *
 * In memory and on `RedisTransport` (any instance); a transport without
 * `readSince()` fails start-up. See docs/many-channels.md.
 *
 * @param path the route path, as `@Get()` takes it (default: the controller's root)
 * @param options `maxChannels` (default 100), method, presence, identities, `from`, overrides
 *
 * @publicApi
 */
export function SseChannels(path?: string | string[], options?: SseRouteOptions): MethodDecorator;
/**
 * Declares a many-channel SSE route at the controller's root.
 *
 * @publicApi
 */
export function SseChannels(options: SseRouteOptions): MethodDecorator;
export function SseChannels(pathOrOptions?: string | string[] | SseRouteOptions, routeOptions?: SseRouteOptions): MethodDecorator {
  return declareSseRoute('SseChannels', pathOrOptions, routeOptions);
}
