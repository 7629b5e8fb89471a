import { isObservable } from 'rxjs';
import { SseChannelHandle } from '../broadcaster/sse-channel-handle.js';
import { isThenable } from '../util/is-thenable.js';
import * as messages from '../sse.messages.js';
import type { StreamDecision } from '../session/stream-route.js';
import { SseHandlerResult } from './handler-result.js';
import { resolveChannelName, type SseRouteDefinition } from './sse-route.js';

/**
 * What an `@SseChannel()` handler's result means for the request: nothing →
 * the route's channel (its `:param`s filled in), a channel handle → that
 * channel, an Observable (or a Promise of one) → the client's own stream.
 */
export async function decideStream(
  route: SseRouteDefinition,
  params: Record<string, string> | undefined,
  result: unknown,
): Promise<StreamDecision> {
  let value = result instanceof SseHandlerResult ? result.value : result;
  if (isThenable(value)) {
    value = await value;
  }
  if (value === undefined || value === null) {
    const channel = resolveChannelName(route, params);
    if (channel === undefined) {
      throw new Error(messages.channelWithoutName(route.handlerName));
    }
    return { channel };
  }
  if (value instanceof SseChannelHandle) {
    return { channel: value.name };
  }
  if (isObservable(value)) {
    return { source$: value };
  }
  throw new Error(messages.unsupportedHandlerResult(route.handlerName, value));
}
