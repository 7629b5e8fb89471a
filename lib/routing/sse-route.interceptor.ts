import {
  BadRequestException,
  Injectable,
  Logger,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { finalize, isObservable, mergeMap, type Observable } from 'rxjs';
import { SseChannelHandle } from '../broadcaster/sse-channel-handle.js';
import type { Channel } from '../streaming/channel.js';
import { ChannelRegistry } from '../streaming/channel-registry.js';
import { SseConnection } from '../streaming/connection.js';
import type { StreamSlot } from '../streaming/stream-slot.js';
import { SSE_LOGGER_CONTEXT, SSE_ROUTE_METADATA } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { encodeRetry } from '../wire/encoder.js';
import { SseHandlerResult } from './handler-result.js';
import { openEventStream, readLastEventId } from './open-event-stream.js';
import { pipeToClient } from './pipe-to-client.js';
import { refuseParamValues } from './channel-template.js';
import { resolveChannelName, type SseRouteDefinition } from './sse-route.js';

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';

/**
 * The glue between a Nest route and a stream, put on every `@SseChannel()`
 * handler. Guards, pipes and the handler run first, as for any route, so
 * their errors become normal HTTP errors; once the handler's result is known
 * the response is taken over: headers go out, then the client joins a channel
 * or gets its own Observable.
 */
@Injectable()
export class SseRouteInterceptor implements NestInterceptor {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<SseRouteDefinition>(SSE_ROUTE_METADATA, context.getHandler());
    const http = context.switchToHttp();
    const req = http.getRequest<{ params?: Record<string, string> }>();
    const res = http.getResponse<unknown>();
    this.assertChannelParams(route, req.params);
    const slot = this.registry.reserveStream();
    if (slot === undefined) {
      throw this.tooManyStreams(route, res);
    }
    return next.handle().pipe(
      mergeMap((result) => this.stream(route, req, res, result, slot)),
      finalize(() => slot.release()),
    );
  }

  /**
   * Refuses a request whose param would carry the client out of its route's
   * channel (`/users/1%2Fprivate` → `users/1/private`): 400, before the
   * handler runs. It is client input: logged at debug level only.
   */
  private assertChannelParams(route: SseRouteDefinition, params: Record<string, string> | undefined): void {
    if (route.params.length === 0) {
      return;
    }
    const refused = refuseParamValues(route.params, params);
    if (refused) {
      const message = messages.invalidChannelParam(refused.param, refused.value, route.channel!);
      this.logger.debug(`${route.handlerName}: refused with 400. ${message}`);
      throw new BadRequestException(message);
    }
  }

  /** The 503 for a stream beyond `maxClients`, with `Retry-After` (seconds). */
  private tooManyStreams(route: SseRouteDefinition, res: unknown): ServiceUnavailableException {
    const { maxClients, retry } = this.registry.options;
    const retryAfter = Math.max(1, Math.ceil((route.retry ?? retry ?? 3000) / 1000));
    const reply = res as { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };
    // Express's response and Fastify's reply both have header(); the exception filter keeps it.
    if (typeof reply.header === 'function') {
      reply.header('Retry-After', String(retryAfter));
    } else {
      reply.setHeader?.('Retry-After', String(retryAfter));
    }
    return new ServiceUnavailableException(messages.tooManyStreams(maxClients, retryAfter));
  }

  private async stream(
    route: SseRouteDefinition,
    req: { params?: Record<string, string> },
    res: unknown,
    result: unknown,
    slot: StreamSlot,
  ): Promise<undefined> {
    let value = result instanceof SseHandlerResult ? result.value : result;
    if (isThenable(value)) {
      value = await value;
    }
    let channelName: string | undefined;
    if (value === undefined || value === null) {
      channelName = resolveChannelName(route, req.params);
      if (channelName === undefined) {
        throw new Error(
          `The @SseChannel() handler ${route.handlerName} returned nothing, but its route names no channel. Give @SseChannel() a channel name, or return an Observable or SseBroadcaster.channel(name).`,
        );
      }
    } else if (value instanceof SseChannelHandle) {
      channelName = value.name;
    } else if (!isObservable(value)) {
      throw new Error(messages.unsupportedHandlerResult(route.handlerName, value));
    }

    if (channelName !== undefined && this.registry.shared) {
      // The first client of a channel on this instance waits until the
      // channel is subscribed: whatever is published once it has the response
      // headers reaches it.
      let channel: Channel;
      try {
        channel = await this.registry.acquire(channelName);
      } catch (error) {
        throw new ServiceUnavailableException(
          `The event stream of channel ${messages.quote(channelName)} is not available: ${(error as Error)?.message ?? String(error)}`,
        );
      }
      try {
        this.open(route, req, res, slot, channelName, undefined);
      } finally {
        this.registry.release(channel);
      }
      return undefined;
    }
    this.open(route, req, res, slot, channelName, value as Observable<unknown>);
    return undefined;
  }

  /** Sends the headers, then puts the client on its channel or its own Observable. */
  private open(
    route: SseRouteDefinition,
    req: unknown,
    res: unknown,
    slot: StreamSlot,
    channelName: string | undefined,
    value: Observable<unknown> | undefined,
  ): void {
    const stream = openEventStream(req, res);
    if (!stream) {
      return;
    }
    const { options } = this.registry;
    const connection = new SseConnection(
      stream.request,
      stream.response,
      route.event,
      route.maxQueuedBytes ?? options.maxQueuedBytes,
      this.registry.backlogWatch,
    );
    const retry = route.retry ?? options.retry;
    if (retry !== undefined) {
      connection.write(encodeRetry(retry));
    }
    if (connection.closed) {
      return;
    }
    if (this.registry.isShuttingDown) {
      connection.end(undefined, true);
      return;
    }
    const heartbeat = route.heartbeat ?? options.heartbeat;
    if (channelName !== undefined) {
      const channel = this.registry.getOrCreate(channelName);
      this.registry.track(connection, slot, heartbeat, (reason) => channel.leave(connection, reason));
      channel.join(connection, readLastEventId(stream.request));
    } else {
      const subscription = pipeToClient(connection, value as Observable<unknown>, this.logger, route.handlerName);
      if (connection.closed) {
        subscription.unsubscribe();
      } else {
        this.registry.track(connection, slot, heartbeat, () => subscription.unsubscribe());
      }
    }
  }
}
