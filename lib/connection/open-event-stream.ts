import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Express's response is the raw one; Fastify's reply wraps it. */
interface FrameworkResponse {
  raw?: ServerResponse;
  hijack?: () => void;
  getHeaders?: () => OutgoingHttpHeaders;
}

interface FrameworkRequest {
  raw?: IncomingMessage;
}

/** The raw request and response of an open event stream. */
export interface OpenEventStream {
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * Takes the response over from the framework, keeping the headers that
 * `@Header()`, interceptors or CORS set before; `undefined` when it is over
 * already (a client gone, or a response sent).
 */
function takeOver(req: unknown, res: unknown): OpenEventStream | undefined {
  const reply = res as FrameworkResponse;
  const request = rawRequest(req);
  const response = rawResponse(res);
  if (typeof reply.hijack === 'function') {
    // Fastify keeps headers set through the reply on the reply until it sends.
    const headers = reply.getHeaders?.() ?? {};
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value !== undefined) {
        response.setHeader(name, value);
      }
    }
    reply.hijack();
  }
  // (The request itself may be destroyed already: a body, once read, ends it.)
  if (response.headersSent || response.destroyed || response.writableEnded || request.socket?.destroyed) {
    return undefined;
  }
  return { request, response };
}

/**
 * Takes the response over and writes the event-stream headers. They go out
 * with the first frame written in this turn; the stream opener flushes them
 * on their own if there is none. Returns nothing for a HEAD request (headers
 * only) or a client that is already gone.
 */
export function openEventStream(req: unknown, res: unknown): OpenEventStream | undefined {
  const stream = takeOver(req, res);
  if (!stream) {
    return undefined;
  }
  const { request, response } = stream;
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  };
  if (request.httpVersionMajor === 1) {
    headers.connection = 'keep-alive';
  }
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return undefined;
  }
  return stream;
}

/**
 * Answers `204 No Content` — what makes an `EventSource` stop reconnecting —
 * to a client whose channel is over for it.
 */
export function answerNoContent(req: unknown, res: unknown): void {
  const stream = takeOver(req, res);
  if (stream) {
    stream.response.writeHead(204, { 'cache-control': 'no-cache, no-transform' });
    stream.response.end();
  }
}

/** The raw Node request under a framework's request (Fastify's wraps it). */
export function rawRequest(req: unknown): IncomingMessage {
  return (req as FrameworkRequest).raw ?? (req as IncomingMessage);
}

/** The raw Node response under a framework's response (Fastify's reply wraps it). */
export function rawResponse(res: unknown): ServerResponse {
  return (res as FrameworkResponse).raw ?? (res as ServerResponse);
}

/**
 * The client's last event id: the `Last-Event-ID` header, read from its raw
 * bytes as UTF-8 (Node hands header values over as Latin-1), or else the
 * `lastEventId` query parameter for clients that cannot set headers.
 */
export function readLastEventId(request: IncomingMessage): string | undefined {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string') {
    return Buffer.from(header, 'latin1').toString('utf8');
  }
  const url = request.url;
  if (url !== undefined && url.includes('lastEventId=')) {
    return new URL(url, 'http://localhost').searchParams.get('lastEventId') ?? undefined;
  }
  return undefined;
}
