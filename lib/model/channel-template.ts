/**
 * A channel name with `:param` segments (`rooms/:id`): how it is checked when
 * the decorator runs, filled in from a request's params, and compared with
 * another route's.
 *
 * The rule that keeps a param inside its route's channel: a `:param` is a
 * whole `/`-separated segment, and its value can never contain `/` (or a
 * control character). So `users/:id` can only ever name `users/<one segment>`,
 * never `users/1/private`, which another route may guard.
 */
import * as messages from '../sse.messages.js';

const PARAM_SEGMENT = /^:([A-Za-z0-9_]+)$/;
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;
/** What a param value must not contain: a segment separator, or a control character. */
const FORBIDDEN_IN_VALUE = /[/\x00-\x1f\x7f]/;
/** A leading or trailing `/`, or two in a row: an empty segment. */
const EMPTY_SEGMENT = /^\/|\/$|\/\//;

/**
 * The one rule for every channel name — `publish()`'s, a route's channel, a
 * `channels` option key: a non-empty string without control characters,
 * whose `/`-separated segments are not empty (no leading or trailing `/`, no
 * `//`): `/rooms/42` and `rooms/42/` would be channels of their own, silently.
 */
export function isChannelName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && !CONTROL_CHARACTER.test(name) && !EMPTY_SEGMENT.test(name);
}

/** A channel name as segments: static text, or `{ param }` for a `:param` segment. */
export type ChannelSegment = string | { readonly param: string };

/**
 * Splits a channel name into segments. Throws when it is not a channel name
 * ({@link isChannelName}: a route's channel with a control character could
 * never be published to) or when a `:` appears anywhere but at the start of a
 * whole-segment `:param`.
 */
export function parseChannelTemplate(template: string, where: string): ChannelSegment[] {
  if (!isChannelName(template)) {
    throw new Error(`${where}: ${messages.invalidChannelName(template)}`);
  }
  return template.split('/').map((segment) => {
    if (!segment.includes(':')) {
      return segment;
    }
    const match = PARAM_SEGMENT.exec(segment);
    if (!match) {
      throw new Error(`${where}: ${messages.paramNotASegment(template, segment)}`);
    }
    return { param: match[1] };
  });
}

/** Names of the params a template uses. */
export function templateParams(segments: readonly ChannelSegment[]): string[] {
  return segments.flatMap((segment) => (typeof segment === 'string' ? [] : [segment.param]));
}

/**
 * Why a request's param value cannot fill a channel's `:param` (it contains
 * `/` or a control character), or `undefined` when every one can.
 */
export function refuseParamValues(
  params: readonly string[],
  values: Record<string, string | undefined> | undefined,
): { param: string; value: string } | undefined {
  for (const param of params) {
    const value = values?.[param];
    if (typeof value === 'string' && FORBIDDEN_IN_VALUE.test(value)) {
      return { param, value };
    }
  }
  return undefined;
}

/** The channel name for a request: the template with its `:param`s filled in. */
export function fillChannelTemplate(
  segments: readonly ChannelSegment[],
  values: Record<string, string | undefined> | undefined,
  onMissing: (param: string) => never,
): string {
  let name = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    let text: string;
    if (typeof segment === 'string') {
      text = segment;
    } else {
      const value = values?.[segment.param];
      if (value === undefined || value === '') {
        onMissing(segment.param);
      }
      text = value;
    }
    name += i === 0 ? text : `/${text}`;
  }
  return name;
}

/** Whether `channel` (a name, or its `/`-separated parts) is a name the template can produce. */
export function templateMatches(segments: readonly ChannelSegment[], channel: string | readonly string[]): boolean {
  const parts = typeof channel === 'string' ? channel.split('/') : channel;
  return parts.length === segments.length && segments.every((segment, i) => (typeof segment === 'string' ? segment === parts[i] : parts[i] !== ''));
}

/**
 * A channel name both templates can produce, or `undefined` when none: they
 * meet when they have as many segments and every pair of segments is equal
 * text or has a `:param` on one side.
 */
export function channelTemplatesMeet(a: readonly ChannelSegment[], b: readonly ChannelSegment[]): string | undefined {
  if (a.length !== b.length) {
    return undefined;
  }
  const example: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (typeof x === 'string' && typeof y === 'string') {
      if (x !== y) {
        return undefined;
      }
      example.push(x);
    } else if (typeof x === 'string') {
      example.push(x);
    } else if (typeof y === 'string') {
      example.push(y);
    } else {
      example.push(`:${x.param}`);
    }
  }
  return example.join('/');
}
