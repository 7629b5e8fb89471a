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
import type { ResolvedSseModuleOptions } from '../options/module-options.js';
import type { Meters, RefusalReason } from '../model/meters.js';
import { SSE_LOGGER_CONTEXT, SSE_METRICS, SSE_MODULE_OPTIONS } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { ChannelRegistry } from '../registry/channel-registry.js';
import { ConnectionTracker } from '../tracker/connection-tracker.js';
import { FROM_START } from '../feed/feed.js';
import { answerNoContent, openEventStream, rawRequest, rawResponse, readLastEventId } from '../connection/open-event-stream.js';
import { encodeRetry } from '../wire/encoder.js';
import type { Channel } from '../channel/channel.js';
import { ChannelMembership } from './channel-membership.js';
import { ClientStream } from './client-stream.js';
import type { StreamDecision, StreamRoute } from './stream-route.js';
import { StreamSession } from './stream-session.js';
import { checkExpiry, checkIdentity, type StreamTicket } from './stream-ticket.js';

/**
 * The one entry point of the streaming layer for a request, top-down:
 * `reserve()` before the handler runs (identity, expiry, a place under the
 * caps), then `open()` once the handler has decided — the channel subscribed
 * (with a shared transport) or the client's Observable waited for, the
 * headers and `retry`, then a {@link StreamSession} that the tracker keeps,
 * joined to its channel or its Observable.
 */
@Injectable()
export class StreamOpener {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);

  constructor(
    @Inject(SSE_MODULE_OPTIONS) private readonly options: ResolvedSseModuleOptions,
    private readonly tracker: ConnectionTracker,
    private readonly registry: ChannelRegistry,
    @Optional() @Inject(SSE_METRICS) private readonly metrics?: Meters | null,
  ) {}

  /**
   * What a stream request may open, decided before the handler runs: who it
   * belongs to (`identify`, after the guards), when its credential expires —
   * `401` if it has already — and a place under the caps: `429` beyond
   * `maxClientsPerIdentity`, `503` beyond `maxClients`, with `Retry-After`.
   */
  reserve(route: StreamRoute, req: unknown, res: unknown): StreamTicket {
    const identify = route.identify ?? this.options.identities.identify;
    const identity = identify ? checkIdentity(identify(req), route.handlerName) : undefined;
    const expires = route.expiresAt ?? this.options.identities.expiresAt;
    const expiresAt = expires ? checkExpiry(expires(req), route.handlerName) : undefined;
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.refused(req, route, 'expired');
      throw new UnauthorizedException(messages.credentialExpired());
    }
    const reservation = this.tracker.reserve(identity, { name: route.handlerName, cap: route.maxClientsPerIdentity ?? 0 });
    if (reservation.refused !== undefined) {
      this.refused(req, route, reservation.refused);
      const retryAfter = this.retryAfter(route, res);
      throw reservation.refused === 'max_clients'
        ? new ServiceUnavailableException(messages.tooManyStreams(reservation.cap, retryAfter))
        : new HttpException(messages.tooManyStreamsOfIdentity(reservation.cap, retryAfter), HttpStatus.TOO_MANY_REQUESTS);
    }
    return { slot: reservation.slot, identity, expiresAt };
  }

  /**
   * Opens the stream the handler decided on, in the place of the ticket's
   * slot (a slot that does not become a stream is released by the request).
   */
  async open(route: StreamRoute, req: unknown, res: unknown, decision: StreamDecision, ticket: StreamTicket): Promise<void> {
    if ('source$' in decision) {
      await this.openOwn(route, req, res, decision.source$, ticket);
    } else if ('channels' in decision) {
      await this.openMany(route, req, res, decision.channels, ticket);
    } else {
      await this.openChannel(route, req, res, decision.channel, ticket);
    }
  }

  /** A per-client Observable: an error before its first value (within the delay) is an HTTP error, as with `@Sse()`. */
  private async openOwn(route: StreamRoute, req: unknown, res: unknown, source$: Observable<unknown>, ticket: StreamTicket): Promise<void> {
    const own = new ClientStream(
      source$,
      route.event,
      this.logger,
      route.handlerName,
      route.firstValueTimeout ?? this.options.limits.firstValueTimeout,
      rawResponse(res),
      route.transform ?? this.options.transform,
    );
    await own.opened;
    const session = this.start(route, req, res, ticket);
    if (!session) {
      own.cancel();
      return;
    }
    session.track();
    const subscription = own.attach(session.connection);
    session.subscribe({ leave: () => subscription.unsubscribe() });
    session.flushHeaders();
  }

  /**
   * A channel: a client back with the id of the end of a channel that is
   * over gets 204 (EventSource stops); the first client of a shared channel
   * on this instance waits until it is subscribed, so that whatever is
   * published once it has the headers reaches it.
   */
  private async openChannel(route: StreamRoute, req: unknown, res: unknown, name: string, ticket: StreamTicket): Promise<void> {
    const lastEventId = readLastEventId(rawRequest(req));
    if (lastEventId !== undefined && lastEventId === this.registry.endIdOf(name)) {
      answerNoContent(req, res);
      return;
    }
    let channel;
    try {
      channel = await this.registry.acquire(name);
    } catch (error) {
      this.refused(req, route, 'unavailable');
      throw new ServiceUnavailableException(messages.channelUnavailable(name, error));
    }
    try {
      if (lastEventId !== undefined && lastEventId === channel.endId) {
        // (Learnt when subscribing: the run ended on another instance.)
        answerNoContent(req, res);
        return;
      }
      const session = this.start(route, req, res, ticket);
      if (!session) {
        return;
      }
      session.track();
      const membership = new ChannelMembership(channel, session.connection, this.registry.presence);
      session.subscribe(membership);
      membership.join(lastEventId ?? (route.from === 'start' ? FROM_START : undefined), route.presence === true);
      session.flushHeaders();
    } finally {
      this.registry.release(channel);
    }
  }

  /**
   * Many channels on one stream (`@SseChannels()`, in memory): every channel
   * acquired, then the session, its memberships, and one join through the
   * multiplexer — what the client missed since its cursor, merged — then
   * presence per channel.
   */
  private async openMany(route: StreamRoute, req: unknown, res: unknown, names: readonly string[], ticket: StreamTicket): Promise<void> {
    const mux = this.registry.multiplexer!;
    const channels: Channel[] = [];
    try {
      try {
        for (const name of names) {
          channels.push(await this.registry.acquire(name));
        }
      } catch (error) {
        this.refused(req, route, 'unavailable');
        throw new ServiceUnavailableException(messages.channelUnavailable(names[channels.length], error));
      }
      const session = this.start(route, req, res, ticket);
      if (!session) {
        return;
      }
      session.track();
      const memberships = channels.map((channel) => new ChannelMembership(channel, session.connection, this.registry.presence, mux));
      memberships.forEach((membership) => session.subscribe(membership));
      mux.join(session.connection, channels, mux.startOf(readLastEventId(rawRequest(req)), route.from));
      memberships.forEach((membership) => membership.enterPresence(route.presence === true));
      session.flushHeaders();
    } finally {
      channels.forEach((channel) => this.registry.release(channel));
    }
  }

  /**
   * Sends the headers (with `retry`) and builds the stream's session in the
   * ticket's place. @returns it, or `undefined` when there is no stream after
   * all (HEAD, the client gone, shutdown): then its place is given back.
   */
  private start(route: StreamRoute, req: unknown, res: unknown, ticket: StreamTicket): StreamSession | undefined {
    const stream = openEventStream(req, res);
    if (!stream) {
      return undefined;
    }
    const { options } = this;
    const session = new StreamSession(
      {
        request: stream.request,
        response: stream.response,
        eventName: route.event,
        maxQueuedBytes: route.maxQueuedBytes ?? options.limits.maxQueuedBytes,
        heartbeat: route.heartbeat ?? options.heartbeat,
        slot: ticket.slot,
        identity: ticket.identity,
        expiresAt: ticket.expiresAt,
        meter: this.metrics?.route(req, route.handlerName),
        watch: this.tracker.backlogWatch,
        // (An @SseChannels() route always has its maxChannels: the route schema's default.)
        multiplexed: route.multi ? { maxChannels: route.maxChannels!, presence: route.presence === true } : undefined,
      },
      this.tracker,
    );
    const retry = route.retry ?? options.retry;
    if (retry !== undefined) {
      session.connection.write(encodeRetry(retry));
    }
    if (this.tracker.isShuttingDown) {
      session.end(undefined, 'shutdown');
    }
    return session.closed ? undefined : session;
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
}
