/**
 * The schema of an `@SseChannel()` route's options: checked once, when the
 * decorator runs (so a mistake fails at start-up, naming the handler).
 */
import { RequestMethod } from '@nestjs/common';
import type { SseEventSchema, SseRouteOptions } from '../interfaces/sse-route-options.interface.js';
import * as messages from '../sse.messages.js';
import { FUNCTION_SHAPES } from './module-options.js';
import { boolean, count, custom, eventName, func, oneOf, resolveOptions, retry, type Resolved, type SchemaOf } from './schema.js';

type Identify = NonNullable<SseRouteOptions['identify']>;
type ExpiresAt = NonNullable<SseRouteOptions['expiresAt']>;

const ROUTE = {
  channel: custom<string>((channel, field, at) => {
    if (typeof channel !== 'string') {
      throw at.error(`${field}: ${messages.invalidChannelName(channel)}`);
    }
  })(),
  method: custom<RequestMethod>((method, field, at) => {
    if (typeof method !== 'number' || RequestMethod[method] === undefined) {
      throw at.error(messages.invalidOptionValue(field, method, 'pass a RequestMethod, e.g. RequestMethod.POST.'));
    }
  })({ default: RequestMethod.GET }),
  event: eventName()({ default: '' }),
  retry: retry()(),
  heartbeat: count('milliseconds; 0 turns heartbeats off')(),
  maxQueuedBytes: count('bytes; 0 turns the bound off')(),
  firstValueTimeout: count("milliseconds the route waits for its Observable's first value; 0 sends the headers at once")({
    was: 'maxHeaderDelay',
  }),
  transform: func<(data: unknown) => unknown>(FUNCTION_SHAPES.transform)({ was: 'serialize' }),
  from: oneOf(['start', 'live'] as const, "use 'start' (the channel's history first) or 'live'.")(),
  identify: func<Identify>(FUNCTION_SHAPES.identify)(),
  expiresAt: func<ExpiresAt>(FUNCTION_SHAPES.expiresAt)(),
  maxClientsPerIdentity: count('streams of one identity on this route; 0 for no cap')(),
  presence: boolean()({ default: false }),
  maxChannels: count('channels on one stream of an @SseChannels() route')({ default: 100 }),
  schema: custom<SseEventSchema>(assertEventSchema)(),
} satisfies SchemaOf<Omit<SseRouteOptions, 'maxHeaderDelay' | 'serialize'>>;

/** The table, for tests and docs. */
export const ROUTE_SCHEMA = ROUTE;

/** A route's options, checked, with their defaults. */
export type ResolvedSseRouteOptions = Resolved<typeof ROUTE>;

/** Checks the options of one `@SseChannel()` route (`where` names it) and fills in the defaults. */
export function resolveRouteOptions(where: string, options: SseRouteOptions): ResolvedSseRouteOptions {
  return resolveOptions(ROUTE, options, {
    where: `${where} options`,
    root: `${where} options`,
    label: '@SseChannel() option',
    prefix: '',
    error: (message) => new Error(message),
  });
}

/** A class (a function with a prototype: not an arrow function like `() => Dto`) or a plain object. */
function assertEventSchema(schema: unknown, field: string, at: { error: (message: string) => Error }): void {
  const isClass = typeof schema === 'function' && typeof schema.prototype === 'object' && schema.name !== '';
  const prototype = schema !== null && typeof schema === 'object' ? Object.getPrototypeOf(schema) : undefined;
  if (!isClass && prototype !== Object.prototype && prototype !== null) {
    throw at.error(
      messages.invalidOptionValue(
        field,
        schema,
        "pass the class of the event data (a named class, with @ApiProperty() on its properties), e.g. schema: ChatMessage, or a JSON schema object, e.g. schema: { type: 'object', properties: { text: { type: 'string' } } }.",
      ),
    );
  }
}
