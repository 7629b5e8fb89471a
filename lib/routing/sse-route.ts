import * as messages from '../sse.messages.js';
import type { StreamRoute } from '../streaming/stream-opener.js';
import { fillChannelTemplate, type ChannelSegment } from './channel-template.js';

/** What `@SseChannel()` stores on a handler. */
export interface SseRouteDefinition extends StreamRoute {
  /** The channel name, possibly with `:param` segments. */
  readonly channel: string | undefined;
  /** The channel name as segments (checked when the decorator ran). */
  readonly segments: readonly ChannelSegment[] | undefined;
  /** The `:param`s of the channel name. */
  readonly params: readonly string[];
  /** The route's path(s) as given, relative to the controller (for start-up checks). */
  readonly paths: readonly string[];
  /** The same, for messages. */
  readonly path: string;
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
