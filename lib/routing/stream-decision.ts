import { BadRequestException } from '@nestjs/common';
import { isObservable } from 'rxjs';
import { isChannelName } from '../model/channel-template.js';
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
  if (route.multi) {
    return { channels: channelsOf(route, value) };
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

/**
 * The channels an `@SseChannels()` handler returned: each a channel name (a
 * bad one is the app's mistake: 500, naming it), each once; more than the
 * route's `maxChannels` → 400, before any byte.
 */
function channelsOf(route: SseRouteDefinition, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new Error(messages.invalidChannelsResult(route.handlerName, value));
  }
  const bad = value.findIndex((name) => !isChannelName(name));
  if (bad !== -1) {
    throw new Error(messages.invalidChannelInResult(route.handlerName, value[bad]));
  }
  const channels = [...new Set(value as string[])];
  if (channels.length > route.maxChannels) {
    throw new BadRequestException(messages.tooManyChannels(channels.length, route.maxChannels));
  }
  return channels;
}
