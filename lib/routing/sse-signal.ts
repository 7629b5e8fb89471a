import * as common from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/**
 * Where Nest (11.2+, 12.5+) keeps the request's `AbortController` for
 * `@SseSignal()`; `undefined` on a Nest without `@SseSignal()`.
 */
const SSE_ABORT_CONTROLLER = (common as unknown as Record<string, unknown>).SSE_ABORT_CONTROLLER as symbol | undefined;

/**
 * Stands in for the request's `AbortController`: the real one is made only if
 * the handler asks for its signal, so a route that does not use `@SseSignal()`
 * pays one small object per request, and the request keeps its shape.
 */
class LazyAbortController {
  private controller: AbortController | undefined;

  constructor(private readonly response: ServerResponse) {}

  get signal(): AbortSignal {
    return this.made().signal;
  }

  abort(reason?: unknown): void {
    this.made().abort(reason);
  }

  private made(): AbortController {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.response.closed || this.response.destroyed) {
        controller.abort();
      } else {
        this.response.once('close', () => controller.abort());
      }
    }
    return this.controller;
  }
}

/**
 * Makes `@SseSignal()` work on an `@SseChannel()` route, as on `@Sse()`: the
 * signal aborts when the stream ends — the client left, the Observable
 * completed or failed, or the request ended without a stream.
 */
export function provideSseSignal(req: object, response: ServerResponse): void {
  if (SSE_ABORT_CONTROLLER === undefined) {
    return;
  }
  const carrier = req as Record<symbol, unknown> & { raw?: Record<symbol, unknown> };
  const controller = carrier[SSE_ABORT_CONTROLLER] ?? new LazyAbortController(response);
  carrier[SSE_ABORT_CONTROLLER] = controller;
  if (carrier.raw && carrier.raw[SSE_ABORT_CONTROLLER] === undefined) {
    carrier.raw[SSE_ABORT_CONTROLLER] = controller;
  }
}
