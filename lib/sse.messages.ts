/**
 * Error message factories: every message names the field, quotes the value and
 * says how to fix it.
 */

/** Quotes a value for an error message, short and with control characters visible. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (typeof value === 'bigint') {
    text = `${value}n`;
  } else if (typeof value === 'function') {
    text = `[function ${value.name || 'anonymous'}]`;
  } else if (typeof value === 'symbol' || typeof value === 'number' || value === undefined) {
    text = String(value); // (JSON writes NaN and Infinity as null)
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What an error says: its message, or the thrown value as text. */
export const errorText = (error: unknown): string => (error as Error)?.message ?? String(error);

export const lineBreakInField = (field: string, value: unknown, fix: string) =>
  `Invalid SSE ${field} ${quote(value)}: it must not contain CR or LF (a line break would split the frame). ${fix}`;

export const nulInId = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: it must not contain NUL (clients ignore such an id). Remove the NUL character.`;

export const nonAsciiId = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: ids must be printable ASCII (0x20-0x7E), the only characters every client sends back intact in Last-Event-ID. Encode the id, e.g. with encodeURIComponent().`;

export const spaceAtIdEdge = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: it must not start or end with a space (HTTP trims the Last-Event-ID header the client sends back, so the id would not be found on resume). Remove the spaces or encode them, e.g. with encodeURIComponent().`;

export const notAString = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: it must be a string.`;

export const invalidNumericId = (field: string, value: number) =>
  `Invalid SSE ${field} ${quote(value)}: a number id must be a non-negative safe integer (it is sent as its decimal digits). Pass any other id as a string.`;

/** For a number given as a string, as values from the environment are. */
const stringNumberHint = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
    ? ' It is a string: values from process.env or ConfigService are strings, convert them with Number(…).'
    : '';

export const invalidRetry = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: it must be a non-negative integer number of milliseconds (clients ignore anything else).${stringNumberHint(value)}`;

export const invalidCount = (field: string, value: unknown, unit: string) =>
  `Invalid ${field} ${quote(value)}: it must be a non-negative integer (${unit}).${stringNumberHint(value)}`;

export const lonelySurrogate = (field: string, value: unknown) =>
  `Invalid SSE ${field} ${quote(value)}: it contains a lone UTF-16 surrogate, which cannot be encoded as UTF-8 (clients would see U+FFFD). Fix the string, e.g. with String.prototype.toWellFormed().`;

export const unencodableData = (field: string, value: unknown, reason: string) =>
  `Invalid SSE ${field} ${quote(value)}: ${reason}. Send a string, a number, a boolean, null, or a JSON-serializable object or array.`;

export const messageWithoutData = (field: string) =>
  `Invalid SSE message: it has an ${field} but no "data". Clients dispatch nothing for a frame without data; add "data" (an empty string is fine).`;

export const mustBeAnObject = (where: string, value: unknown, example?: string) =>
  `${where} must be an object${example ? ` like ${example}` : ''}, got ${quote(value)}.`;

export const invalidOptionValue = (field: string, value: unknown, fix: string) => `Invalid ${field} ${quote(value)}: ${fix}`;

export const redisNotStarted = (call: string) => `RedisTransport: ${call} before the application started (app.init()) or after it closed.`;

export const ioredisNotInstalled = () =>
  'RedisTransport needs the package "ioredis" (v5 or v6), an optional peer dependency of nestjs-sse-channel that is not installed. Run: npm install ioredis';
export const ioredisWithoutClient = () =>
  'RedisTransport: the installed "ioredis" exports no Redis client class; install ioredis v5 or v6.';

export const redisPublishFailed = (channel: string, reason: string) => `Publishing to channel ${quote(channel)} on Redis failed: ${reason}`;

export const shuttingDown = () => 'the application is shutting down';

export const unknownOption = (where: string, key: string, known: readonly string[], suggestion?: string) =>
  `Unknown option "${key}" in ${where}.${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`} Known options: ${known.join(', ')}.`;

/** Where an option is now, as one writes it: `transform: …`, `history: { bytes: … }`. */
const optionPlace = (path: readonly string[]): string =>
  path.reduceRight((inner, key, i) => (i === path.length - 1 ? `${key}: ${inner}` : `${key}: { ${inner} }`), '…');

export const deprecatedOption = (label: string, prefix: string, was: string, path: readonly string[]) =>
  prefix === ''
    ? `${label} "${was}" is deprecated: use ${optionPlace(path)}.`
    : `${label} "${prefix}.${was}" is deprecated: use ${prefix}: { ${optionPlace(path)} }.`;

export const deprecatedAndNew = (where: string, was: string, path: readonly string[]) =>
  `${where}: "${was}" and "${path.join('.')}" are the same option (${quote(was)} is its deprecated name). Keep only ${optionPlace(path)}.`;

export const invalidChannelName = (value: unknown) =>
  `Invalid SSE channel name ${quote(value)}: it must be a non-empty string without control characters, and without a leading or trailing "/" or an empty segment ("//")${
    typeof value === 'string' && /^\/|\/$|\/\//.test(value) ? ` — write ${quote(value.split('/').filter(Boolean).join('/'))}` : ''
  }.`;

export const missingChannelParam = (channel: string, param: string, path: string) =>
  `The channel ${quote(channel)} of @SseChannel() needs the route parameter ":${param}", but the route ${quote(path)} has none. Add ":${param}" to the route path or use a channel name without it.`;

export const unsupportedHandlerResult = (handler: string, value: unknown) =>
  `The @SseChannel() handler ${handler} returned ${quote(value)}. Return nothing (the client joins the route's channel), an Observable (the client's own stream), a Promise of one, or a channel from SseBroadcaster.channel().`;

export const paramNotASegment = (template: string, segment: string) =>
  `the channel name ${quote(template)} has ${quote(segment)}: a ":param" must be a whole "/"-separated segment (a ":" anywhere else is not allowed), so that a param value can never reach a channel of another shape. Write it as its own segment, e.g. "users/:id" instead of "user-:id".`;

export const invalidChannelParam = (param: string, value: string, channel: string) =>
  `Invalid route parameter "${param}" ${quote(value)}: it fills the ":${param}" segment of the channel ${quote(channel)} and must not contain "/" or control characters (it would name another channel).`;

export const tooManyStreams = (maxClients: number, retryAfter: number) =>
  `Too many open event streams on this instance (maxClients ${maxClients}). Retry after ${retryAfter} s.`;

export const guardsDiffer = (channel: string, a: string, b: string) =>
  `Two @SseChannel() routes can put clients on the same channel (e.g. ${quote(channel)}) with different guards: ${a}; and ${b}. A channel is only as protected as the least-guarded route that reaches it. Give both routes the same guards, or channel names that cannot meet (e.g. a fixed segment that tells them apart).`;

export const idNotIncreasing = (id: string | undefined, channel: string) =>
  `Invalid SSE id ${quote(id)} for channel ${quote(channel)}: it is not greater than the channel's last id. With the Redis transport ids must increase; leave "id" out to get the channel's next one.`;

export const notAStreamId = (id: string, channel: string) =>
  `Invalid SSE id ${quote(id)} for channel ${quote(channel)}: with the Redis transport an id is a Redis stream id ("<ms>-<seq>", greater than 0-0), alone or with this channel's tag as in the ids it gives out ("<ms>-<seq>.<tag>"; an id of another channel is refused). Leave "id" out to get the channel's next one.`;

export const slowClientsDropped = (count: number, latest: string) =>
  `Dropped ${count} slow client(s) since the last such warning (latest: ${latest}): their unsent bytes stayed above maxQueuedBytes for slowClientTimeout, or passed twice the bound. They can reconnect and resume from history.`;

export const historyReadFailed = (channel: string, count: number, error: unknown) =>
  `Could not read the history of channel ${quote(channel)} (${count} failure(s) since the last such warning): ${errorText(error)}. Catching-up clients were disconnected and reconnect with their Last-Event-ID; live delivery waits until the history can be read.`;

export const channelUnavailable = (channel: string, error: unknown) =>
  `The event stream of channel ${quote(channel)} is not available: ${errorText(error)}`;

export const channelWithoutName = (handler: string) =>
  `The @SseChannel() handler ${handler} returned nothing, but its route has no channel (it is served at the application's root, and a channel name cannot be empty). Name one with the option channel, e.g. @SseChannel({ channel: 'news' }), or return an Observable or SseBroadcaster.channel(name).`;

export const pathOptionRemoved = (where: string, path: unknown, pathOption: unknown) =>
  `${where}: the option "path" is gone: the first argument is the route path now, as in @Get() and @Sse(), and the option "channel" names the channel when it is not the path. Write ${
    path === undefined ? `@SseChannel(${quote(pathOption)})` : `@SseChannel(${quote(pathOption)}, { channel: ${quote(path)} })`
  } instead.`;

export const invalidRoutePath = (where: string, path: unknown) =>
  `${where}: invalid route path ${quote(path)}: pass a string or an array of strings, as @Get() takes it, e.g. @SseChannel(':id').`;

export const channelNeedsName = (handler: string, paths: readonly string[]) =>
  `@SseChannel() on ${handler} is served at several paths (${paths.map(quote).join(', ')}), so its channel cannot default to its path. Name it with the option channel, e.g. @SseChannel(${quote(paths[0].split('/').pop() ?? '')}, { channel: ${quote(paths[0])} }).`;

export const pathNotAChannel = (handler: string, path: string, reason: string) =>
  `@SseChannel() on ${handler}: its channel defaults to its path ${quote(path)}, which cannot be a channel name: ${reason} Name the channel with the option channel, e.g. { channel: 'files' }.`;

export const channelsDiffer = (handler: string, a: string, b: string) =>
  `@SseChannel() on ${handler} is inherited by controllers with different paths, so its channel would be both ${quote(a)} and ${quote(b)}. Name it with the option channel.`;

export const channelParamNotInPath = (handler: string, channel: string, param: string, path: string) =>
  `@SseChannel() on ${handler}: the channel ${quote(channel)} needs the route parameter ":${param}", but the route's path ${quote(path)} has none, so every request would fail. Add ":${param}" to the path (or the controller's), or use a channel name without it.`;

export const sseModuleNotImported = (route: string) =>
  `SseModule is not imported, but ${route} needs it. Fix: add SseModule.forRoot() (or SseModule.forRootAsync(…)) to the imports of your root module, e.g. @Module({ imports: [SseModule.forRoot()] }). It is global by default; with { global: false }, import it into the module that declares this controller.`;

export const globalInAsyncOptions = () =>
  'SseModule.forRootAsync(): "global" goes next to useFactory, useClass or useExisting, not in the options it gives.';

export const asyncOptionsWay = (given: readonly string[]) =>
  `SseModule.forRootAsync() needs exactly one of useFactory (a function that returns the module options), useClass or useExisting (a class with createSseOptions())${given.length > 1 ? `, not ${given.join(' and ')}` : ''}.`;

export const channelMessageWithoutData = (channel: string) =>
  `Invalid SSE message for channel ${quote(channel)}: a channel event needs "data" (comment- or retry-only messages go to per-client streams).`;

export const channelEnded = (channel: string) =>
  `Channel ${quote(channel)} has ended: it takes no more events until it is dropped (history.ttl after its last client left). Use a new channel name for a new run.`;

export const reservedEndEvent = (event: string) =>
  `Invalid SSE event ${quote(event)}: it is the endEvent, which only ends a channel. Use broadcaster.end(channel), or another event name.`;

export const credentialExpired = () =>
  'The credential of this stream has expired: sign in again, then reconnect.';

export const tooManyStreamsOfIdentity = (cap: number, retryAfter: number) =>
  `Too many open event streams for this user (maxClientsPerIdentity ${cap}). Close one, or retry after ${retryAfter} s.`;

export const badIdentity = (handler: string, value: unknown) =>
  `The identify option of ${handler} returned ${quote(value)}: it must return a non-empty string, or undefined for an anonymous stream.`;

export const badExpiry = (handler: string, value: unknown) =>
  `The expiresAt option of ${handler} returned ${quote(value)}: it must return a Date, a number of ms since the epoch, or undefined.`;

export const presenceFailed = (error: unknown) =>
  `Presence could not be updated: ${errorText(error)}. Join and leave events may be missing until it can.`;

export const metricsWithoutApi = () =>
  'SseModule options.metrics is true, but "@opentelemetry/api", an optional peer dependency of nestjs-sse-channel, is not installed. Run: npm install @opentelemetry/api (and start the OpenTelemetry SDK), or pass metrics: { meterProvider }, or leave metrics out.';

export const metricsWithoutSdk = () =>
  'SseModule options.metrics is true, but no OpenTelemetry SDK has registered a MeterProvider with @opentelemetry/api: nothing is recorded. Start the SDK before the application is created (e.g. node --import ./otel.mjs main.js), or pass metrics: { meterProvider }.';

export const invalidMetricsOption = (value: unknown) =>
  invalidOptionValue(
    'SseModule options.metrics',
    value,
    'pass true, false, or { meterProvider } with an OpenTelemetry MeterProvider (e.g. new MeterProvider({ readers }) from @opentelemetry/sdk-metrics).',
  );

export const optionOfOtherKind = (where: string, option: string, kind: string, why: string) =>
  `${where}: the option "${option}" belongs to ${kind} routes (${why}). Remove it, or use ${kind}.`;

export const invalidChannelsResult = (handler: string, value: unknown) =>
  `The @SseChannels() handler ${handler} returned ${quote(value)}. Return the names of the channels the stream carries: a string[] (or a Promise of one).`;

export const invalidChannelInResult = (handler: string, name: unknown) =>
  `The @SseChannels() handler ${handler} returned the channel name ${quote(name)}: ${invalidChannelName(name)}`;

export const tooManyChannels = (count: number, max: number) =>
  `Too many channels for one stream: ${count}, and this route carries at most ${max} (its maxChannels option).`;

export const multiplexingNeedsSequence = (handler: string) =>
  `@SseChannels() on ${handler}: streams that carry many channels need a transport that numbers events across channels (readSince(), as RedisTransport has), and SseModule's transport has none (RedisTransport on a Redis Cluster has none either: there, each channel is numbered on its own shard). Use RedisTransport on one Redis server, or @SseChannel() routes with this transport.`;

export const redisNotConnected = (status: string, channel: string) =>
  `Redis is not connected (status "${status}"): the event for channel ${quote(channel)} was not published. Clients stay connected and get later events once Redis is back.`;

export const redisTransportShared = () =>
  'This RedisTransport already serves another application. Create one per application, e.g. in SseModule.forRootAsync({ useFactory: () => ({ transport: new RedisTransport(...) }) }).';

export const redisPublishUnconfirmed = () =>
  'Lost the connection to Redis before the publish was confirmed: the event may still be published once Redis is back (ioredis sends it again), or not at all.';

export const remoteSubscribeFailed = (identity: string, channel: string, error: unknown) =>
  `subscribe(${quote(identity)}, ${quote(channel)}) from another instance was not applied to this instance's streams: ${error instanceof Error ? error.message : String(error)}`;

export const channelNameMissing = (template: string, param: string) =>
  `channelName(${quote(template)}): no value for ":${param}". Pass { ${param}: … }.`;

export const channelNameRefused = (template: string, param: string, value: string) =>
  `Invalid ${param} ${quote(value)}: it fills ":${param}" of the channel ${quote(template)}, so it must be non-empty, without "/" or control characters.`;

export const sseAndSseChannel = (handler: string, kind: string) =>
  `${handler} has both Nest's @Sse() and @${kind}(): Nest would serve it as its own @Sse() stream, and no channel would ever be joined, silently. Remove @Sse(): @${kind}() is the route${kind === 'SseChannel' ? ' (a handler that returns an Observable works unchanged, each value one frame)' : ''}.`;

export const publishedBeforeStartDropped = () => 'The application shut down before its transport started: this event, published before app.init() ended, was not sent.';

export const idRefusedByTransport = (id: string, channel: string) => `Invalid SSE id ${quote(id)} for channel ${quote(channel)}: the transport refuses it. Leave "id" out to get the channel's next one.`;

export const unstreamedChannel = (channel: string, declared: readonly string[], suggestion: string | undefined) =>
  `publish() to ${quote(channel)}: no route of this application streams that channel — it matches none of the channels of its @SseChannel() routes and SseModule's channels option (${declared.slice(0, 6).map(quote).join(', ')}${declared.length > 6 ? ', …' : ''}), and no stream has joined it.${suggestion === undefined ? '' : ` Did you mean ${quote(suggestion)}?`} If a handler streams it (returning broadcaster.channel(name)), add its name or template to SseModule's channels option, e.g. channels: { 'orders/:id': {} }, and this warning goes. (Said once per channel, and only when NODE_ENV is not 'production'.)`;
export const invalidChannelPrefix = (field: string, value: unknown) =>
  `Invalid ${field} ${quote(value)}: it must be a channel name of static segments (e.g. "mcp" or "ai/mcp": no :param, no empty segment, no control character).`;
