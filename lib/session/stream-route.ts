import type { Observable } from 'rxjs';

/** What a route asks of its streams (its `@SseChannel()` options). */
export interface StreamRoute {
  /** Event name for frames that carry none ('' for none). */
  readonly event: string;
  readonly retry?: number;
  readonly heartbeat?: number;
  readonly maxQueuedBytes?: number;
  readonly firstValueTimeout?: number;
  readonly transform?: (data: unknown) => unknown;
  /** Where a client without `Last-Event-ID` starts on a channel. */
  readonly from?: 'start' | 'live';
  readonly identify?: (request: unknown) => string | undefined;
  readonly expiresAt?: (request: unknown) => Date | number | undefined;
  readonly maxClientsPerIdentity?: number;
  /** The route's channel announces who is on it. */
  readonly presence?: boolean;
  /** `Class.method`, for messages. */
  readonly handlerName: string;
  /** An `@SseChannels()` route, and the most channels one of its streams may carry. */
  readonly multi?: boolean;
  readonly maxChannels?: number;
}

/** What a request streams: a channel, several (`@SseChannels()`), or its own Observable. */
export type StreamDecision =
  | { readonly channel: string }
  | { readonly channels: readonly string[] }
  | { readonly source$: Observable<unknown> };
