import type { RequestMethod } from '@nestjs/common';

/**
 * The data of a route's events, for its OpenAPI document: a class that
 * `@nestjs/swagger` knows as a model (`@ApiProperty()` on its properties; it
 * ends up in `components/schemas`), or a JSON schema object.
 *
 * @publicApi
 */
export type SseEventSchema = (abstract new (...args: any[]) => unknown) | { readonly [keyword: string]: unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Options of an `@SseChannel()` route.
 *
 * @publicApi
 */
export interface SseRouteOptions {
  /**
   * The channel the route's clients join when the handler returns nothing,
   * when it is not the route's path: `'rooms/:id'` (its `:param`s are filled
   * in from the request's params, which must have them). Needed when the
   * route is served at several paths.
   * @default the route's full path, without global prefix or version
   * (`@Controller('rooms')` + `@SseChannel(':id')` → `rooms/:id`)
   */
  channel?: string;
  /**
   * HTTP method of the route; `POST` etc. work, with `@Body()`.
   * @default RequestMethod.GET
   */
  method?: RequestMethod;
  /**
   * Event name of this route: every frame written on it that names no event
   * of its own gets `event: <event>`. Routes sharing a channel may differ.
   * @default undefined (clients see `message` events)
   */
  event?: string;
  /** Overrides the module's `retry` for this route. @default the module's `retry` */
  retry?: number;
  /** Overrides the module's `heartbeat` for this route (0 turns it off). @default the module's `heartbeat` */
  heartbeat?: number;
  /** Overrides the module's `limits.maxQueuedBytes` for this route. @default the module's `limits.maxQueuedBytes` */
  maxQueuedBytes?: number;
  /**
   * Overrides the module's `limits.firstValueTimeout` for this per-client
   * route: how long it waits for its Observable's first value before it
   * sends the headers (0: at once). (Was `maxHeaderDelay`.)
   * @default the module's `limits.firstValueTimeout` (1000)
   */
  firstValueTimeout?: number;
  /**
   * Where a client that connects without `Last-Event-ID` starts: `'live'`
   * (what is published from now on) or `'start'` (everything the channel
   * still has first — a run's client that opens late sees the answer from its
   * first token). Channel routes only; a per-client Observable is the
   * handler's own.
   * @default 'live'
   */
  from?: 'start' | 'live';
  /** Overrides the module's `identities.identify` for this route's streams. @default the module's */
  identify?: (request: any) => string | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Overrides the module's `identities.expiresAt` for this route's streams. @default the module's */
  expiresAt?: (request: any) => Date | number | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * A cap on the streams of one identity on this route (on top of the
   * module's `identities.maxClientsPerIdentity` on all its streams).
   * @default undefined (no cap of the route's own)
   */
  maxClientsPerIdentity?: number;
  /**
   * The route's channel announces who is on it: `sse-join` / `sse-leave`
   * events (data `{"identity":"…"}`) when an identity's first stream joins
   * and its last one leaves — once across instances. Then every identified
   * stream of the channel counts, whatever route it came through.
   * @default false
   */
  presence?: boolean;
  /**
   * Overrides the module's `transform` for the values of this route's
   * per-client Observable. (Was `serialize`.)
   * @default the module's `transform`
   */
  transform?: (data: unknown) => unknown;
  /**
   * The data of the route's events, for `@nestjs/swagger` (nothing else reads
   * it): a DTO class with `@ApiProperty()` on its properties (documented as a
   * `$ref` to `components/schemas/<Name>`) or a JSON schema object such as
   * `{ type: 'object', properties: { text: { type: 'string' } } }`. It becomes
   * the `schema` of the route's `text/event-stream` response.
   * @default undefined (the response names its events, without a schema)
   */
  schema?: SseEventSchema;
  /** @deprecated use `firstValueTimeout`. */
  maxHeaderDelay?: number;
  /** @deprecated use `transform`. */
  serialize?: (data: unknown) => unknown;
  /**
   * `@SseChannels()` routes only: the most channels one stream may carry —
   * from the handler (more → `400`, before any byte).
   * @default 100
   */
  maxChannels?: number;
}
