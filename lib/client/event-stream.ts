import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { FrameBounds, type Overflow } from './frame-bounds.js';

/** One request of the client. */
export interface StreamRequest {
  readonly url: string;
  readonly init: RequestInit;
}

export interface StreamLimits {
  readonly maxEventBytes: number;
  readonly stallTimeout: number;
}

/** What one connection tells its client while it is read. */
export interface StreamHooks {
  /** A 200 event stream: events may follow. */
  opened(): void;
  event(message: EventSourceMessage): void;
  retry(ms: number): void;
  parseError(error: ParseError): void;
}

/** How one connection ended. */
export type StreamEnd =
  /** Not a 200 event stream: its status, `Retry-After`, content type and body (JSON parsed, else text; bounded). */
  | { readonly end: 'status'; readonly status: number; readonly retryAfter: string | null; readonly type: string | null; readonly body: unknown }
  /** The server ended the response. */
  | { readonly end: 'eof' }
  /** The request failed or the connection broke. */
  | { readonly end: 'network'; readonly cause: unknown }
  /** Cut by the caller's controller. */
  | { readonly end: 'aborted' }
  /** Nothing arrived for `stallTimeout`. */
  | { readonly end: 'stalled' }
  /** A line or event over `maxEventBytes`. */
  | { readonly end: 'too-large'; readonly overflow: Overflow };

const EVENT_STREAM = /^text\/event-stream\s*(;|$)/i;
const noop = () => {};

/**
 * Makes one request and reads its event stream until it ends, handing the
 * events to `hooks` as they are parsed. Nothing arriving for
 * `stallTimeout` ms — from the request on — ends it as `stalled`; a line or
 * an event over `maxEventBytes` ends it as `too-large` before any of its
 * bytes reach the parser (memory stays bounded). `controller` cuts it; no
 * event is handed on once it is aborted.
 */
export async function readEventStream(
  fetchFn: typeof fetch,
  request: StreamRequest,
  controller: AbortController,
  limits: StreamLimits,
  hooks: StreamHooks,
): Promise<StreamEnd> {
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (limits.stallTimeout > 0) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, limits.stallTimeout);
    }
  };
  const live = () => !controller.signal.aborted;
  arm();
  try {
    const response = await fetchFn(request.url, { ...request.init, signal: controller.signal });
    arm();
    const type = response.headers.get('content-type');
    if (response.status !== 200 || !EVENT_STREAM.test(type ?? '') || !response.body) {
      const body = await readBody(response, limits.maxEventBytes, arm);
      return { end: 'status', status: response.status, retryAfter: response.headers.get('retry-after'), type, body };
    }
    hooks.opened();
    const reader = response.body.getReader();
    const bounds = new FrameBounds(limits.maxEventBytes);
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: (message) => live() && hooks.event(message),
      onRetry: (ms) => live() && hooks.retry(ms),
      onError: (error) => live() && hooks.parseError(error),
    });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return { end: 'eof' };
      }
      arm();
      const overflow = bounds.scan(value);
      if (overflow) {
        controller.abort();
        reader.cancel().catch(noop);
        return { end: 'too-large', overflow };
      }
      parser.feed(decoder.decode(value, { stream: true }));
      if (!live()) {
        reader.cancel().catch(noop);
        return stalled ? { end: 'stalled' } : { end: 'aborted' };
      }
    }
  } catch (cause) {
    return stalled ? { end: 'stalled' } : live() ? { end: 'network', cause } : { end: 'aborted' };
  } finally {
    clearTimeout(timer);
  }
}

/** A response's body, at most `limit` bytes of it: its JSON, else its text (`undefined` when empty). */
async function readBody(response: Response, limit: number, progress: () => void): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) {
    return undefined;
  }
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    progress();
    bytes += value.length;
    text += decoder.decode(value, { stream: true });
    if (bytes > limit) {
      reader.cancel().catch(noop);
      break;
    }
  }
  text += decoder.decode();
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
