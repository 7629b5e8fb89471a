/**
 * What an `@SseChannel()` route tells `@nestjs/swagger` about itself: a 200
 * `text/event-stream` response naming its events (with the `schema` option as
 * the content's schema) and its path's `:param`s.
 *
 * Written as the metadata swagger's own decorators write — the keys of its
 * `dist/constants.js`, in the shapes its explorers read (the same in swagger
 * 11 and 12) — so the library never imports it: without swagger these are a
 * few entries nobody reads.
 */
import type { SseEventSchema } from '../interfaces/sse-route-options.interface.js';
import { PATH_METADATA, pathParams } from '../routing/path-params.js';
import { PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT } from '../sse.constants.js';

/** `@nestjs/swagger`'s metadata keys (`DECORATORS` in its `dist/constants.js`; test/unit/dependencies.spec.ts compares them). */
export const API_RESPONSE = 'swagger/apiResponse';
export const API_PARAMETERS = 'swagger/apiParameters';
export const API_EXTRA_MODELS = 'swagger/apiExtraModels';
export const API_SCHEMA = 'swagger/apiSchema';
/** Nest's key of `@Param()`, and `RouteParamtypes.PARAM` (Nest 11 and 12). */
export const ROUTE_ARGS_METADATA = '__routeArguments__';
export const ROUTE_PARAM_TYPE = 5;

export const SSE_MEDIA_TYPE = 'text/event-stream';

/** What the document says about one route. */
export interface SseOpenApiRoute {
  /** The route's path(s), relative to the controller. */
  readonly paths: readonly string[];
  /** The route's event name; `''` for `message`. */
  readonly event: string;
  readonly presence: boolean;
  readonly schema: SseEventSchema | undefined;
  /** An `@SseChannels()` route: its events are named by their channels. */
  readonly multi?: boolean;
}

/** One entry of swagger's parameter list (what `@ApiParam()` stores). */
interface ParameterEntry {
  readonly name?: unknown;
  readonly in?: unknown;
  readonly [key: string]: unknown;
}

/** One entry of swagger's response map (what `@ApiResponse()` stores). */
interface ResponseEntry {
  readonly description?: string;
  readonly [key: string]: unknown;
}

/**
 * Writes the route's OpenAPI metadata on its handler (after `@SseChannel()`
 * boxed it). Response and params merge with what swagger's decorators below
 * `@SseChannel()` already stored; those above it run later, and merge in on
 * their own (responses) or are merged in once the class is complete (params).
 */
export function documentSseRoute(target: object, key: string | symbol, handler: object, route: SseOpenApiRoute): void {
  const schema = route.schema === undefined ? undefined : schemaObject(handler, route.schema);
  const ours: ResponseEntry = {
    description: describeEvents(route),
    content: { [SSE_MEDIA_TYPE]: schema === undefined ? {} : { schema } },
  };
  const responses = (Reflect.getMetadata(API_RESPONSE, handler) ?? {}) as Record<string, ResponseEntry>;
  Reflect.defineMetadata(API_RESPONSE, { ...responses, 200: mergeResponse(ours, responses[200]) }, handler);

  const routeParams = pathParams(route.paths);
  declarePathParams(target, key, handler, routeParams);
  // Once the class is complete (its decorators run right after its methods'),
  // the controller's path is known, and so are the @ApiParam()s written above
  // @SseChannel(): merge them into ours (swagger would keep only the first of
  // two entries for one param). Documents are built long after this turn.
  queueMicrotask(() => {
    const controllerPaths = [Reflect.getMetadata(PATH_METADATA, target.constructor) as unknown]
      .flat()
      .filter((path): path is string => typeof path === 'string');
    const handlerNow = (Object.getOwnPropertyDescriptor(target, key)?.value as object | undefined) ?? handler;
    declarePathParams(target, key, handlerNow, [...new Set([...pathParams(controllerPaths), ...routeParams])]);
  });
}

/**
 * Merges swagger's 200 entry with ours as swagger's own `ApiResponse()` would
 * if it ran after `@SseChannel()` (the user's keys win, descriptions join),
 * so that the order of the decorators does not matter.
 */
function mergeResponse(ours: ResponseEntry, theirs: ResponseEntry | undefined): ResponseEntry {
  if (theirs === undefined) {
    return ours;
  }
  const description = [ours.description, theirs.description].filter(Boolean).join('\n\n');
  return { ...ours, ...theirs, description };
}

/** The response's description: the event names the route's clients get. */
function describeEvents(route: SseOpenApiRoute): string {
  let text = route.multi
    ? `Server-sent events (${SSE_MEDIA_TYPE}) of several channels: one event per channel; event name = the channel's name`
    : `Server-sent events (${SSE_MEDIA_TYPE}): \`${route.event || 'message'}\` events`;
  text += route.schema === undefined ? '.' : ', with data as in the schema.';
  if (route.presence) {
    text += ` Also \`${PRESENCE_JOIN_EVENT}\` and \`${PRESENCE_LEAVE_EVENT}\` (data \`{"identity": "…"}\`) as identities join and leave the channel.`;
  }
  return text;
}

/** The content schema: a `$ref` to a model class (registered with the handler's extra models), or the JSON schema as given. */
function schemaObject(handler: object, schema: SseEventSchema): object {
  if (typeof schema !== 'function') {
    return schema;
  }
  const models = (Reflect.getMetadata(API_EXTRA_MODELS, handler) ?? []) as unknown[];
  if (!models.includes(schema)) {
    Reflect.defineMetadata(API_EXTRA_MODELS, [...models, schema], handler);
  }
  // The name swagger gives the model: the last @ApiSchema({ name }), else the class name.
  const named = (Reflect.getOwnMetadata(API_SCHEMA, schema) ?? []) as { name?: string }[];
  return { $ref: `#/components/schemas/${named.at(-1)?.name ?? schema.name}` };
}

/**
 * Declares each param as a required string path param, first in the list,
 * merged with the `@ApiParam()`s of the same name (theirs win, key by key) —
 * unless the handler takes it with `@Param('name')`, which swagger documents
 * itself, with the handler's type.
 */
function declarePathParams(target: object, key: string | symbol, handler: object, names: readonly string[]): void {
  const taken = handlerParams(target, key);
  const ours = names.filter((name) => !taken.has(name));
  if (ours.length === 0) {
    return;
  }
  // Entries written here before stand for the user's entries merged into them.
  const existing = ((Reflect.getMetadata(API_PARAMETERS, handler) ?? []) as ParameterEntry[]).flatMap(
    (entry) => merged.get(entry) ?? [entry],
  );
  const isPath = (entry: ParameterEntry, name: string) => entry?.in === 'path' && entry.name === name;
  const declared = ours.map((name) => {
    const theirs = existing.filter((entry) => isPath(entry, name));
    const typed = theirs.some((entry) => ['type', 'schema', 'content', 'enum'].some((field) => entry[field] !== undefined));
    const entry = Object.assign({ name, in: 'path', required: true }, typed ? {} : { schema: { type: 'string' } }, ...theirs) as ParameterEntry;
    merged.set(entry, theirs);
    return entry;
  });
  const others = existing.filter((entry) => !ours.some((name) => isPath(entry, name)));
  Reflect.defineMetadata(API_PARAMETERS, [...declared, ...others], handler);
}

/** The path params written by {@link declarePathParams}, each with the user's entries it took in. */
const merged = new WeakMap<ParameterEntry, readonly ParameterEntry[]>();

/** Names of the route params the handler takes with `@Param('name')`. */
function handlerParams(target: object, key: string | symbol): Set<string> {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {}) as Record<string, { data?: unknown }>;
  return new Set(
    Object.entries(args)
      .filter(([type, arg]) => type.split(':')[0] === String(ROUTE_PARAM_TYPE) && typeof arg?.data === 'string')
      .map(([, arg]) => arg.data as string),
  );
}
