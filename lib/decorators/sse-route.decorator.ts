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
 * What `@SseChannel()` and `@SseChannels()` do: the route's metadata (checked
 * when the decorator runs, naming the handler), its OpenAPI entry, its path
 * and method, its interceptor, and the response left to the route.
 */
export function declareSseRoute(
  kind: 'SseChannel' | 'SseChannels',
  pathOrOptions: string | string[] | SseRouteOptions | undefined,
  routeOptions: SseRouteOptions = {},
): MethodDecorator {
  const [path, options] = isOptions(pathOrOptions) ? [undefined, pathOrOptions] : [pathOrOptions, routeOptions];
  return (target, key, descriptor) => {
    const handlerName = `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`;
    const where = `@${kind}() on ${handlerName}`;
    assertPath(where, path, options);
    // The route definition is the resolved options (what the schema gives), with where the route is.
    const { method, schema, maxChannels, ...resolved } = resolveRouteOptions(where, options);
    const multi = kind === 'SseChannels';
    assertKindOptions(where, multi, resolved.channel, options.maxChannels);
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
      multi,
      maxChannels,
    };
    const typed = descriptor as unknown as TypedPropertyDescriptor<(...args: never[]) => unknown>;
    typed.value = boxHandlerResult(typed.value!);
    documentSseRoute(target, key, typed.value, {
      paths: route.paths,
      event: route.event,
      presence: route.presence ?? false,
      schema,
      multi,
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
    // A handler's own `@Res({ passthrough: true })` (for headers, cookies)
    // would make Nest send the response itself, ending the stream: the route
    // sends it, with what the handler set (its parameter decorators ran before).
    Reflect.defineMetadata(RESPONSE_PASSTHROUGH_METADATA, false, target.constructor, key);
    return descriptor;
  };
}

/** Nest's metadata key of `@Res({ passthrough })`, on the class, for the method (test/unit/dependencies.spec.ts compares it). */
export const RESPONSE_PASSTHROUGH_METADATA = '__responsePassthrough__';

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

/** `channel` is an `@SseChannel()` option, `maxChannels` one of `@SseChannels()`. */
function assertKindOptions(where: string, multi: boolean, channel: string | undefined, maxChannels: unknown): void {
  if (multi && channel !== undefined) {
    throw new Error(messages.optionOfOtherKind(where, 'channel', '@SseChannel()', 'the channels an @SseChannels() stream carries are the ones its handler returns'));
  }
  if (!multi && maxChannels !== undefined) {
    throw new Error(messages.optionOfOtherKind(where, 'maxChannels', '@SseChannels()', 'an @SseChannel() stream carries one channel'));
  }
}
