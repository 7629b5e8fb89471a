import type { StreamRequest } from './event-stream.js';
import type { SseClientOptions } from './sse-client-options.interface.js';

/** `url` made absolute: against the page in a browser; in Node it must be absolute already. */
export function resolveUrl(url: string | URL): string {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, page).href;
  } catch {
    throw new TypeError(
      `SseClient: ${JSON.stringify(String(url))} is not a URL${page ? '' : ' — without a page to resolve it against (Node), give a full one such as http://127.0.0.1:3000/rooms/42'}.`,
    );
  }
}

/** A plain object or array: sent as JSON. */
function isJson(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) {
    return false;
  }
  const proto = Object.getPrototypeOf(body) as unknown;
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

/**
 * The request of one attempt: the first one as configured (method, body);
 * reconnects the same, or a `GET` of `reconnectUrl` without a body when it
 * is set. `Last-Event-ID` when there is a last id.
 */
export function buildRequest(
  url: string,
  options: SseClientOptions,
  first: boolean,
  headersInit: RequestInit['headers'],
  lastEventId: string | undefined,
): StreamRequest {
  const redirect = !first && options.reconnectUrl !== undefined;
  const headers = new Headers(headersInit);
  headers.set('accept', 'text/event-stream');
  if (lastEventId !== undefined) {
    headers.set('last-event-id', lastEventId);
  }
  let body = redirect ? undefined : options.body;
  if (isJson(body)) {
    body = JSON.stringify(body);
    if (!headers.has('content-type')) {
      headers.set('content-type', 'application/json');
    }
  }
  // (A function is asked only for a reconnect: before the first request it may have nothing to say yet, e.g. a run's id.)
  const reconnectUrl = redirect ? (typeof options.reconnectUrl === 'function' ? options.reconnectUrl() : options.reconnectUrl) : undefined;
  return {
    url: redirect ? resolveUrl(reconnectUrl!) : url,
    init: {
      method: redirect ? 'GET' : (options.method ?? 'GET'),
      headers,
      body: body as RequestInit['body'],
      credentials: options.credentials,
    },
  };
}
