import * as common from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/**
 * Where Nest (≥ 12.5) keeps the request's `AbortController` for `@SseSignal()`;
 * `undefined` on Nest 11, which has no `@SseSignal()`.
 */
const SSE_ABORT_CONTROLLER = (common as unknown as Record<string, unknown>).SSE_ABORT_CONTROLLER as symbol | undefined;

/**
 * Makes `@SseSignal()` work on an `@SseChannel()` route, as on `@Sse()`: the
 * signal aborts when the stream ends — the client left, the Observable
 * completed or failed, or the request ended without a stream. The controller
 * is made only if the handler asks for the signal, so a route that does not
 * use it pays nothing per client.
 */
export function provideSseSignal(req: object, response: ServerResponse): void {
  if (SSE_ABORT_CONTROLLER === undefined) {
    return;
  }
  let controller: AbortController | undefined;
  const get = (): AbortController => {
    if (!controller) {
      const created = new AbortController();
      controller = created;
      if (response.closed || response.destroyed) {
        created.abort();
      } else {
        response.once('close', () => created.abort());
      }
    }
    return controller;
  };
  const carriers = [req, (req as { raw?: object }).raw].filter((carrier): carrier is object => carrier !== undefined);
  for (const carrier of carriers) {
    if (!(SSE_ABORT_CONTROLLER in carrier)) {
      Object.defineProperty(carrier, SSE_ABORT_CONTROLLER, { get, configurable: true });
    }
  }
}
