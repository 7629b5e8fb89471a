import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { finalize, mergeMap, type Observable } from 'rxjs';
import { SSE_LOGGER_CONTEXT } from '../sse.constants.js';
import * as messages from '../sse.messages.js';
import { rawResponse } from '../connection/open-event-stream.js';
import { StreamOpener } from '../session/stream-opener.js';
import { refuseParamValues } from '../model/channel-template.js';
import { provideSseSignal } from './sse-signal.js';
import { decideStream } from './stream-decision.js';
import type { SseRouteDefinition } from './sse-route.js';

/**
 * The glue between a Nest route and a stream, put on every `@SseChannel()`
 * handler. Guards run first, as for any route; then the request's channel
 * params are checked and a place under `maxClients` is taken, before the
 * handler runs (so their errors, like the handler's and the pipes', are
 * normal HTTP errors). What the handler returns decides the stream, which the
 * streaming layer opens.
 */
@Injectable()
export class SseRouteInterceptor implements NestInterceptor {
  private readonly logger = new Logger(SSE_LOGGER_CONTEXT);

  private readonly opener: StreamOpener;
  /** The route it serves (each route has an interceptor class of its own: see {@link routeInterceptor}). */
  private readonly route: SseRouteDefinition;

  constructor(@Optional() @Inject(StreamOpener) opener: StreamOpener | undefined) {
    const { label, definition } = this.constructor as unknown as { label: string; definition: SseRouteDefinition };
    if (opener === undefined) {
      // Without SseModule, Nest would report "can't resolve dependencies of
      // SseRouteInterceptor (?)": internal names and no fix.
      throw new Error(messages.sseModuleNotImported(label));
    }
    this.opener = opener;
    this.route = definition;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { route } = this;
    const http = context.switchToHttp();
    const req = http.getRequest<{ params?: Record<string, string> }>();
    const res = http.getResponse<unknown>();
    this.assertChannelParams(route, req.params);
    const ticket = this.opener.reserve(route, req, res);
    provideSseSignal(req, rawResponse(res));
    return next.handle().pipe(
      mergeMap(async (result) => {
        await this.opener.open(route, req, res, await decideStream(route, req.params, result), ticket);
        return undefined;
      }),
      finalize(() => ticket.slot.releaseUnlessOpen()),
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
}

/**
 * The interceptor of one route: a subclass that knows its route (read once,
 * not per request) and where it is, so that a missing SseModule fails at
 * start-up with the route's name.
 */
export function routeInterceptor(label: string, definition: SseRouteDefinition): Type<SseRouteInterceptor> {
  const subclass = class extends SseRouteInterceptor {
    static readonly label = label;
    static readonly definition = definition;
  };
  Object.defineProperty(subclass, 'name', { value: `SseRouteInterceptor(${label})` });
  return subclass;
}
