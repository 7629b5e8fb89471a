import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ResolvedSseModuleOptions } from '../interfaces/sse-module-options.interface.js';
import type { RefusalReason } from '../metrics/route-meter.js';
import type { SseMetrics } from '../metrics/sse-metrics.js';
import { SSE_LOGGER_CONTEXT, SSE_METRICS, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { encodeRetry } from '../wire/encoder.js';
import { ChannelRegistry } from './channel-registry.js';
import { SseConnection } from './connection.js';
import { ConnectionTracker } from './connection-tracker.js';
import { ClientStream } from './client-stream.js';
import { FROM_START } from './feed.js';
import { answerNoContent, openEventStream, rawRequest, rawResponse, readLastEventId } from './open-event-stream.js';
import { checkExpiry, checkIdentity, type StreamTicket } from './stream-ticket.js';

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
  readonly identify?: (request: unknown) => string | undefined;
  readonly expiresAt?: (request: unknown) => Date | number | undefined;
  readonly maxClientsPerIdentity?: number;
  /** The route's channel announces who is on it. */
  readonly presence?: boolean;
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
    @Optional() @Inject(SSE_METRICS) private readonly metrics?: SseMetrics | null,
  ) {}

  /**
   * What a stream request may open, decided before the handler runs: who it
   * belongs to (`identify`, after the guards), when its credential expires —
   * `401` if it has already — and a place under the caps: `429` beyond
   * `maxClientsPerIdentity`, `503` beyond `maxClients`, with `Retry-After`.
   */
  reserve(route: StreamRoute, req: unknown, res: unknown): StreamTicket {
    const identify = route.identify ?? this.options.identify;
    const identity = identify ? checkIdentity(identify(req), route.handlerName) : undefined;
    const expires = route.expiresAt ?? this.options.expiresAt;
    const expiresAt = expires ? checkExpiry(expires(req), route.handlerName) : undefined;
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.refused(req, route, 'expired');
      throw new UnauthorizedException(messages.credentialExpired());
    }
    if (identity !== undefined) {
      const { identities } = this.tracker;
      const moduleCap = this.options.maxClientsPerIdentity;
      const routeCap = route.maxClientsPerIdentity ?? 0;
      if ((moduleCap > 0 && identities.count(identity) >= moduleCap) || (routeCap > 0 && identities.count(identity, route.handlerName) >= routeCap)) {
        const retryAfter = this.retryAfter(route, res);
        this.refused(req, route, 'max_clients_per_identity');
        throw new HttpException(messages.tooManyStreamsOfIdentity(routeCap > 0 ? routeCap : moduleCap, retryAfter), HttpStatus.TOO_MANY_REQUESTS);
      }
    }
    // (Streams are counted per route only where the route caps them.)
    const slot = this.tracker.reserve(identity, route.maxClientsPerIdentity ? route.handlerName : undefined);
    if (!slot) {
      this.refused(req, route, 'max_clients');
      throw new ServiceUnavailableException(messages.tooManyStreams(this.options.maxClients, this.retryAfter(route, res)));
    }
    return { slot, identity, expiresAt };
  }

  /** Counts a request refused before its stream opened (with metrics). */
  private refused(req: unknown, route: StreamRoute, reason: RefusalReason): void {
    this.metrics?.route(req, route.handlerName).refused(reason);
  }

  /** Sets `Retry-After` (seconds: the route's `retry` rounded up, or 3) on a refusal; @returns it. */
  private retryAfter(route: StreamRoute, res: unknown): number {
    const retryAfter = Math.max(1, Math.ceil((route.retry ?? this.options.retry ?? 3000) / 1000));
    const reply = res as { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };
    // Express's response and Fastify's reply both have header(); the exception filter keeps it.
    if (typeof reply.header === 'function') {
      reply.header('Retry-After', String(retryAfter));
    } else {
      reply.setHeader?.('Retry-After', String(retryAfter));
    }
    return retryAfter;
  }

  /**
   * Opens the stream the handler decided on, in the place of `slot` (a slot
   * that does not become a stream is released by whoever reserved it).
   */
  async open(route: StreamRoute, req: unknown, res: unknown, decision: StreamDecision, ticket: StreamTicket): Promise<void> {
    const { slot } = ticket;
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
      const started = this.start(route, req, res, ticket, (connection, heartbeat) => {
        const subscription = stream.attach(connection);
        if (connection.closed) {
          subscription.unsubscribe();
        } else {
          this.tracker.track(connection, slot, heartbeat, () => subscription.unsubscribe(), ticket.expiresAt);
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
      this.refused(req, route, 'unavailable');
      throw new ServiceUnavailableException(messages.channelUnavailable(decision.channel, error));
    }
    try {
      if (lastEventId !== undefined && lastEventId === channel.endId) {
        // (Learnt when subscribing: the run ended on another instance.)
        answerNoContent(req, res);
        return;
      }
      const from = lastEventId ?? (route.from === 'start' ? FROM_START : undefined);
      this.start(route, req, res, ticket, (connection, heartbeat) => {
        const { identity } = connection;
        const { presence } = this.registry;
        let present = false;
        this.tracker.track(
          connection,
          slot,
          heartbeat,
          (reason) => {
            channel.leave(connection, reason);
            if (present) {
              presence.left(channel.name, identity!);
            }
          },
          ticket.expiresAt,
        );
        channel.join(connection, from);
        if (identity !== undefined && !connection.closed) {
          present = true;
          presence.joined(channel.name, identity, route.presence === true);
        }
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
    ticket: StreamTicket,
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
    if (this.metrics) {
      connection.meter = this.metrics.route(req, route.handlerName);
      connection.meter.opened();
    }
    connection.identity = ticket.identity;
    connection.route = route.maxClientsPerIdentity ? route.handlerName : '';
    const retry = route.retry ?? options.retry;
    if (retry !== undefined) {
      connection.write(encodeRetry(retry));
    }
    if (connection.closed) {
      return false;
    }
    if (this.tracker.isShuttingDown) {
      connection.end(undefined, 'shutdown');
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
