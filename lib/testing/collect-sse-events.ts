import type { IncomingHttpHeaders } from 'node:http';
import { SseTestStream, type SseTestEvent, type SseTestRequest, type SseTestTarget } from './sse-test-stream.js';

/** How many events to collect, and what to do once the stream is open. */
export interface CollectSseEventsOptions extends SseTestRequest {
  /** Stop after this many events. */
  count?: number;
  /** Stop as soon as this returns true for the events so far. */
  until?: (events: SseTestEvent[]) => boolean;
  /**
   * Fail after this many ms. Without `count` or `until`, events are collected
   * until the server ends the stream.
   * @default 5000
   */
  timeout?: number;
  /** Runs once the headers are in, e.g. to publish the events to collect. */
  onOpen?: (stream: SseTestStream) => unknown;
}

/** The response and the events collected from it. */
export interface CollectedSseEvents {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseTestEvent[];
  /** The response text of a response that is not an event stream (e.g. a 403's JSON). */
  body: string;
}

/**
 * Opens an SSE route of a running app (`app.getHttpServer()` or a base URL),
 * collects events and returns them parsed, with the status and headers. A
 * response that is not an event stream resolves at once with its body. The
 * connection is closed afterwards.
 *
 * @example
 * const { events } = await collectSseEvents(app.getHttpServer(), {
 *   path: '/rooms/42', count: 2, onOpen: () => broadcaster.publish('rooms/42', 'hi'),
 * });
 *
 * @publicApi
 */
export async function collectSseEvents(
  target: SseTestTarget,
  options: CollectSseEventsOptions = {},
): Promise<CollectedSseEvents> {
  const { count, until, timeout, onOpen, ...request } = options;
  const stream = await SseTestStream.open(target, request);
  const result = () => ({ status: stream.status, headers: stream.headers, events: stream.events, body: stream.body });
  try {
    if (stream.status !== 200 || stream.body !== '' || !/^text\/event-stream\b/.test(String(stream.headers['content-type']))) {
      await stream.waitForEnd(timeout);
      return result();
    }
    await onOpen?.(stream);
    if (count !== undefined) {
      await stream.waitForEvents(count, timeout);
    } else if (until !== undefined) {
      await stream.waitFor(() => until(stream.events), { timeout, what: 'the events `until` waits for' });
    } else {
      await stream.waitForEnd(timeout);
    }
    return result();
  } finally {
    await stream.close();
  }
}
