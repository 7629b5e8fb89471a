import * as messages from '../sse.messages.js';

/** What `@SseChannel()` stores on a handler. */
export interface SseRouteDefinition {
  /** The channel name, possibly with `:param` segments. */
  readonly channel: string | undefined;
  readonly path: string;
  readonly event: string;
  readonly retry?: number;
  readonly heartbeat?: number;
  readonly maxQueuedBytes?: number;
  /** `Class.method`, for messages. */
  readonly handlerName: string;
}

const PARAM = /:([A-Za-z0-9_]+)/g;

/** The channel a request joins: the route's channel with its `:param`s filled in. */
export function resolveChannelName(
  route: SseRouteDefinition,
  params: Record<string, string | undefined> | undefined,
): string | undefined {
  const { channel } = route;
  if (channel === undefined || !channel.includes(':')) {
    return channel;
  }
  return channel.replace(PARAM, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === '') {
      throw new Error(messages.missingChannelParam(channel, name, route.path));
    }
    return value;
  });
}
