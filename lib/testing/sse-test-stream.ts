import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One event as a client sees it. */
export interface SseTestEvent {
  /** The event name; `message` when the frame named none. */
  event: string;
  data: string;
  id: string | undefined;
  /** The reconnection time in effect when the event arrived (from `retry:` lines), if any. */
  retry: number | undefined;
}

/** What to open and how. */
export interface SseTestRequest {
  /** Path (with query) of the SSE route. @default '/' */
  path?: string;
  /** @default 'GET' */
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (with a JSON content type) unless it is a string. */
  body?: unknown;
}

/** Something that answers HTTP: a Node server (`app.getHttpServer()`) or a base URL. */
export type SseTestTarget = Server | string;

const TIMEOUT_DEFAULT = 5000;

async function resolveBaseUrl(target: SseTestTarget): Promise<{ url: string; release: () => Promise<void> }> {
  if (typeof target === 'string') {
    return { url: target.replace(/\/$/, ''), release: async () => undefined };
  }
  let release = async () => undefined as void;
  if (!target.listening) {
    await new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(0, '127.0.0.1', () => {
        target.off('error', reject);
        resolve();
      });
    });
    release = () => new Promise<void>((resolve) => target.close(() => resolve()));
  }
  const address = target.address() as AddressInfo;
  const host =
    address.address === '::' || address.address === '0.0.0.0' || address.address === '::ffff:0.0.0.0'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return { url: `http://${host}:${address.port}`, release };
}

/**
 * An open SSE response, parsed as it arrives by a real SSE parser
 * (`eventsource-parser`). For responses that are not event streams (a 403 from
 * a guard, say) `body` holds the whole response text once it has ended.
 */
export class SseTestStream {
  readonly events: SseTestEvent[] = [];
  readonly comments: string[] = [];
  /** The last `retry:` value received, if any. */
  retry: number | undefined = undefined;
  /** Every byte received, as UTF-8 text. */
  raw = '';
  /** The non-event-stream response body, once ended. */
  body = '';
  ended = false;
  private readonly waiters = new Set<() => void>();
  private readonly endedPromise: Promise<void>;

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly request: ClientRequest,
    private readonly release: () => Promise<void>,
    response: NodeJS.ReadableStream,
  ) {
    const isEventStream = status === 200 && /^text\/event-stream\b/.test(String(headers['content-type'] ?? ''));
    const parser = createParser({
      onEvent: (message: EventSourceMessage) => {
        this.events.push({ event: message.event || 'message', data: message.data, id: message.id, retry: this.retry });
        this.notify();
      },
      onRetry: (retry: number) => {
        this.retry = retry;
      },
      onComment: (comment: string) => {
        this.comments.push(comment);
      },
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.raw += chunk;
      if (isEventStream) {
        parser.feed(chunk);
      } else {
        this.body += chunk;
      }
    });
    this.endedPromise = new Promise<void>((resolve) => {
      const done = () => {
        if (!this.ended) {
          this.ended = true;
          this.notify();
          void this.release().then(resolve, resolve);
        }
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
  }

  /** Sends the request and resolves once the response headers are in. */
  static async open(target: SseTestTarget, options: SseTestRequest = {}): Promise<SseTestStream> {
    const { url, release } = await resolveBaseUrl(target);
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (typeof options.body !== 'string') {
        headers['content-type'] ??= 'application/json';
      }
    }
    return new Promise<SseTestStream>((resolve, reject) => {
      const request = httpRequest(
        `${url}${options.path ?? '/'}`,
        { method: options.method ?? 'GET', headers, agent: false },
        (response) => resolve(new SseTestStream(response.statusCode ?? 0, response.headers, request, release, response)),
      );
      request.on('error', (error) => {
        void release();
        reject(error);
      });
      request.end(payload);
    });
  }

  /**
   * Waits until `predicate` holds for the events so far.
   * A timeout rejects with how many events had arrived.
   */
  async waitFor(
    predicate: (events: SseTestEvent[]) => boolean,
    { timeout = TIMEOUT_DEFAULT, what = 'the expected events' }: { timeout?: number; what?: string } = {},
  ): Promise<SseTestEvent[]> {
    if (predicate(this.events)) {
      return this.events;
    }
    return new Promise<SseTestEvent[]>((resolve, reject) => {
      const check = () => {
        if (predicate(this.events)) {
          finish();
          resolve(this.events);
        } else if (this.ended) {
          finish();
          reject(new Error(`The SSE stream ended before ${what} arrived; ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeout} ms waiting for ${what}; ${this.describe()}`));
      }, timeout);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits until `count` events have arrived. */
  waitForEvents(count: number, timeout?: number): Promise<SseTestEvent[]> {
    return this.waitFor((events) => events.length >= count, { timeout, what: `${count} event(s)` });
  }

  /** Resolves once the server has ended the response (or the connection closed). */
  async waitForEnd(timeout = TIMEOUT_DEFAULT): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.endedPromise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${timeout} ms waiting for the SSE stream to end; ${this.describe()}`)),
          timeout,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Closes the connection from the client side, as a browser tab closing would. */
  async close(): Promise<void> {
    this.request.destroy();
    await this.endedPromise;
  }

  private describe(): string {
    const count = this.events.length;
    return `${count} event(s) arrived (status ${this.status}${count ? `, last: ${JSON.stringify(this.events[count - 1])}` : ''})`;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) {
      waiter();
    }
  }
}
