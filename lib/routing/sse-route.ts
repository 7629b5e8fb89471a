import * as messages from '../sse.messages.js';
import type { StreamRoute } from '../session/stream-route.js';
import { fillChannelTemplate, type ChannelSegment } from '../model/channel-template.js';

/** What `@SseChannel()` stores on a handler. */
export interface SseRouteDefinition extends StreamRoute {
  /** The `channel` option, when the channel is not the route's path. */
  readonly channelOption: string | undefined;
  /**
   * The channel name, possibly with `:param` segments: the `channel` option,
   * or — set once at start-up, when the controller's path is known — the
   * route's full path. `undefined` for a route at the application's root.
   */
  channel: string | undefined;
  /** The channel name as segments. */
  segments: readonly ChannelSegment[] | undefined;
  /** The `:param`s of the channel name. */
  params: readonly string[];
  /** The route's path(s) as given, relative to the controller (for start-up checks). */
  readonly paths: readonly string[];
  /** The same, for messages. */
  readonly path: string;
  /** An `@SseChannels()` route: its stream carries the channels its handler returns. */
  readonly multi: boolean;
  /** The most channels one of its streams may carry. */
  readonly maxChannels: number;
}

/** The channel a request joins: the route's channel with its `:param`s filled in. */
export function resolveChannelName(
  route: SseRouteDefinition,
  params: Record<string, string | undefined> | undefined,
): string | undefined {
  const { channel, segments } = route;
  if (channel === undefined || segments === undefined || route.params.length === 0) {
    return channel;
  }
  return fillChannelTemplate(segments, params, (name) => {
    throw new Error(messages.missingChannelParam(channel, name, route.path));
  });
}
