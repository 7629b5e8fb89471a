import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import { SSE_LOGGER_CONTEXT, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { encodeRetry } from '../wire/encoder.js';
import { ChannelRegistry } from './channel-registry.js';
import { SseConnection } from './connection.js';
import { ConnectionTracker } from './connection-tracker.js';
import { ClientStream } from './client-stream.js';
import { FROM_START } from './feed.js';
import { answerNoContent, openEventStream, rawRequest, rawResponse, readLastEventId } from './open-event-stream.js';
import type { StreamSlot } from './stream-slot.js';

/** What a route asks of its streams (its `@SseChannel()` options). */
export interface StreamRoute {
  /** Event name for frames that carry none ('' for none). */
  readonly event: string;
  readonly retry?: number;
  readonly heartbeat?: number;
  readonly maxQueuedBytes?: number;
  readonly maxHeaderDelay?: number;
  readonly serialize?: (data: unknown) => unknown;
  /** Where a client without `Last-Event-ID` starts on a channel. */
  readonly from?: 'start' | 'live';
  /** `Class.method`, for messages. */
  readonly handlerName: string;
}

/** What a request streams: a channel, or its own Observable. */
export type StreamDecision = { readonly channel: string } | { readonly source$: Observable<unknown> };

/**
 * The one entry point of the streaming layer for a request: a place under
 * the cap before the handler runs, then — once the handler has decided —
 * the channel (subscribed, with a shared transport), the headers, `retry`,
 * tracking (heartbeat, slow-client watch, shutdown) and the join.
 */
@Injectable()
export class StreamOpener {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);

  constructor(
    @Inject(SSE_MODULE_OPTIONS) private readonly options: ResolvedSseModuleOptions,
    private readonly tracker: ConnectionTracker,
    private readonly registry: ChannelRegistry,
  ) {}

  /**
   * A place for the request's stream under `maxClients`, taken before the
   * handler runs; beyond the cap a 503 with `Retry-After` (seconds).
   */
  reserve(route: StreamRoute, res: unknown): StreamSlot {
    const slot = this.tracker.reserve();
    if (slot) {
      return slot;
    }
    const retryAfter = Math.max(1, Math.ceil((route.retry ?? this.options.retry ?? 3000) / 1000));
    const reply = res as { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };
    // Express's response and Fastify's reply both have header(); the exception filter keeps it.
    if (typeof reply.header === 'function') {
      reply.header('Retry-After', String(retryAfter));
    } else {
      reply.setHeader?.('Retry-After', String(retryAfter));
    }
    throw new ServiceUnavailableException(messages.tooManyStreams(this.options.maxClients, retryAfter));
  }

  /**
   * Opens the stream the handler decided on, in the place of `slot` (a slot
   * that does not become a stream is released by whoever reserved it).
   */
  async open(route: StreamRoute, req: unknown, res: unknown, decision: StreamDecision, slot: StreamSlot): Promise<void> {
    if ('source$' in decision) {
      const delay = route.maxHeaderDelay ?? this.options.maxHeaderDelay;
      const stream = new ClientStream(
        decision.source$,
        route.event,
        this.logger,
        route.handlerName,
        delay,
        rawResponse(res),
        route.serialize ?? this.options.serialize,
      );
      // An error before the first value (within the delay) is an HTTP error, as with @Sse().
      await stream.opened;
      const started = this.start(route, req, res, (connection, heartbeat) => {
        const subscription = stream.attach(connection);
        if (connection.closed) {
          subscription.unsubscribe();
        } else {
          this.tracker.track(connection, slot, heartbeat, () => subscription.unsubscribe());
        }
      });
      if (!started) {
        stream.cancel();
      }
      return;
    }
    // A client back with the id of the end of a channel that is over gets 204: EventSource stops.
    const lastEventId = readLastEventId(rawRequest(req));
    if (lastEventId !== undefined && lastEventId === this.registry.endIdOf(decision.channel)) {
      answerNoContent(req, res);
      return;
    }
    // The first client of a shared channel on this instance waits until the
    // channel is subscribed: whatever is published once it has the response
    // headers reaches it.
    let channel;
    try {
      channel = await this.registry.acquire(decision.channel);
    } catch (error) {
      throw new ServiceUnavailableException(messages.channelUnavailable(decision.channel, error));
    }
    try {
      if (lastEventId !== undefined && lastEventId === channel.endId) {
        // (Learnt when subscribing: the run ended on another instance.)
        answerNoContent(req, res);
        return;
      }
      const from = lastEventId ?? (route.from === 'start' ? FROM_START : undefined);
      this.start(route, req, res, (connection, heartbeat) => {
        this.tracker.track(connection, slot, heartbeat, (reason) => channel.leave(connection, reason));
        channel.join(connection, from);
      });
    } finally {
      this.registry.release(channel);
    }
  }

  /**
   * Sends the headers and `retry`, then hands the new connection to `attach`
   * (unless it is over already). @returns whether `attach` ran
   */
  private start(
    route: StreamRoute,
    req: unknown,
    res: unknown,
    attach: (connection: SseConnection, heartbeat: number) => void,
  ): boolean {
    const stream = openEventStream(req, res);
    if (!stream) {
      return false;
    }
    const { options } = this;
    const connection = new SseConnection(
      stream.request,
      stream.response,
      route.event,
      route.maxQueuedBytes ?? options.maxQueuedBytes,
      this.tracker.backlogWatch,
    );
    const retry = route.retry ?? options.retry;
    if (retry !== undefined) {
      connection.write(encodeRetry(retry));
    }
    if (connection.closed) {
      return false;
    }
    if (this.tracker.isShuttingDown) {
      connection.end(undefined, true);
      return false;
    }
    attach(connection, route.heartbeat ?? options.heartbeat);
    if (!connection.written && !connection.closed) {
      // Nothing was written with them (no retry, replay or early value): send them on their own.
      stream.response.flushHeaders();
    }
    return true;
  }
}
