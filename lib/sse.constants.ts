/** Injection token of the resolved module options. */
export const SSE_MODULE_OPTIONS = Symbol('SSE_MODULE_OPTIONS');
/** Injection token of the library's OpenTelemetry instruments (`null` when metrics are off). */
export const SSE_METRICS = Symbol('SSE_METRICS');
/** Metadata key of an `@SseChannel()` route. */
export const SSE_ROUTE_METADATA = 'nestjs-sse-channel:route';
/** Logger context of the library. */
export const SSE_LOGGER_CONTEXT = 'SseModule';

export const DEFAULT_HEARTBEAT = 15_000;
export const DEFAULT_HISTORY = 1000;
export const DEFAULT_HISTORY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_HISTORY_TTL = 10 * 60 * 1000;
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
export const DEFAULT_RESET_EVENT = 'sse-reset';
export const DEFAULT_SLOW_CLIENT_TIMEOUT = 1000;
export const DEFAULT_TOTAL_HISTORY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_HEADER_DELAY = 1000;
export const DEFAULT_END_EVENT = 'sse-end';
export const DEFAULT_ENDED_TTL = 24 * 60 * 60 * 1000;
/** How many ended channels are remembered at most (the oldest are forgotten first). */
export const MAX_ENDED_REMEMBERED = 100_000;
export const DEFAULT_CLOSE_EVENT = 'sse-close';
export const PRESENCE_JOIN_EVENT = 'sse-join';
export const PRESENCE_LEAVE_EVENT = 'sse-leave';
export const DEFAULT_PRESENCE_LEAVE_DELAY = 3000;

/** The channel prefix of MCP streams (`mcp.prefix`). */
export const DEFAULT_MCP_PREFIX = 'mcp';
