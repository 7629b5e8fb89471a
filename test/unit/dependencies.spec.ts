// Pins what the library relies on in other packages beyond their documented
// API (docs/architecture.md, "Dependencies on other packages' internals"):
// each test names the package and the detail, so that an upgrade that changes
// one fails here, by name, rather than somewhere downstream. The details that
// need a real socket are pinned in test/e2e/dependencies.e2e-spec.ts.
import 'reflect-metadata';
import { Controller, Get, Param, RequestMapping, RequestMethod, Res, Sse, UseGuards, type CanActivate } from '@nestjs/common';
import * as common from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  GUARDS_METADATA as NEST_GUARDS_METADATA,
  METHOD_METADATA,
  PATH_METADATA as NEST_PATH_METADATA,
  RESPONSE_PASSTHROUGH_METADATA as NEST_RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA as NEST_ROUTE_ARGS_METADATA,
  SSE_METADATA as NEST_SSE_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ApiExtraModels, ApiParam, ApiResponse, ApiSchema } from '@nestjs/swagger';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SseChannel } from '../../lib/decorators/sse-channel.decorator.js';
import { RESPONSE_PASSTHROUGH_METADATA } from '../../lib/decorators/sse-route.decorator.js';
import {
  API_EXTRA_MODELS,
  API_PARAMETERS,
  API_RESPONSE,
  API_SCHEMA,
  documentSseRoute,
  ROUTE_ARGS_METADATA,
  ROUTE_PARAM_TYPE,
} from '../../lib/openapi/sse-openapi.js';
import { PATH_METADATA } from '../../lib/routing/path-params.js';
import { provideSseSignal } from '../../lib/routing/sse-signal.js';
import { GUARDS_METADATA, SSE_METADATA } from '../../lib/routing/sse-routes.explorer.js';

/** The descriptor of a fresh method, for applying decorators by hand. */
function method(): { target: object; key: string; descriptor: PropertyDescriptor } {
  class Target {
    handler(): void {}
  }
  return { target: Target.prototype, key: 'handler', descriptor: Object.getOwnPropertyDescriptor(Target.prototype, 'handler')! };
}

class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

describe('@nestjs/common metadata keys the library reads and writes', () => {
  it("PATH_METADATA ('path'): our key is Nest's, and @Controller() stores the controller's path(s) under it", () => {
    expect(PATH_METADATA).toBe(NEST_PATH_METADATA);
    @Controller('rooms')
    class Rooms {}
    @Controller(['a', 'b'])
    class Both {}
    expect(Reflect.getMetadata(PATH_METADATA, Rooms)).toBe('rooms');
    expect(Reflect.getMetadata(PATH_METADATA, Both)).toEqual(['a', 'b']);
  });

  it("GUARDS_METADATA ('__guards__'): our key is Nest's, and @UseGuards() stores the guards on the class and on the handler function", () => {
    expect(GUARDS_METADATA).toBe(NEST_GUARDS_METADATA);
    @UseGuards(AllowAll)
    class Guarded {
      @UseGuards(AllowAll)
      @Get()
      handler(): void {}
    }
    expect(Reflect.getMetadata(GUARDS_METADATA, Guarded)).toEqual([AllowAll]);
    expect(Reflect.getMetadata(GUARDS_METADATA, Guarded.prototype.handler)).toEqual([AllowAll]);
  });

  it("ROUTE_ARGS_METADATA ('__routeArguments__') and RouteParamtypes.PARAM (5): @Param('name') stores { data: 'name' } under '<type>:<index>' on the class, for the method", () => {
    expect(ROUTE_ARGS_METADATA).toBe(NEST_ROUTE_ARGS_METADATA);
    expect(ROUTE_PARAM_TYPE).toBe(RouteParamtypes.PARAM);
    class Handlers {
      handler(@Param('id') _id: string, @Param('other') _other: string): void {}
    }
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Handlers, 'handler') as Record<string, { index: number; data: unknown }>;
    expect(args[`${ROUTE_PARAM_TYPE}:0`]).toMatchObject({ index: 0, data: 'id' });
    expect(args[`${ROUTE_PARAM_TYPE}:1`]).toMatchObject({ index: 1, data: 'other' });
  });
});

describe('@nestjs/common RequestMapping() and Res() applied by hand in @SseChannel()', () => {
  it('RequestMapping({ path, method })(target, key, descriptor) stores path and method on descriptor.value (the boxed handler)', () => {
    const { target, key, descriptor } = method();
    RequestMapping({ path: 'rooms/:id', method: RequestMethod.POST })(target, key, descriptor);
    expect(Reflect.getMetadata(PATH_METADATA, descriptor.value)).toBe('rooms/:id');
    expect(Reflect.getMetadata(METHOD_METADATA, descriptor.value)).toBe(RequestMethod.POST);
  });

  it("Res() at parameter index -1 stores a RouteParamtypes.RESPONSE entry under '1:-1', next to the handler's own @Param()s (what makes Nest leave the response to us)", () => {
    const { target, key } = method();
    Res()(target, key, -1);
    const args = Reflect.getMetadata(NEST_ROUTE_ARGS_METADATA, target.constructor, key) as Record<string, { index: number }>;
    expect(RouteParamtypes.RESPONSE).toBe(1);
    expect(args).toEqual({ [`${RouteParamtypes.RESPONSE}:-1`]: expect.objectContaining({ index: -1 }) });
  });

  it('@SseChannel() leaves path and method where Nest reads them and declares the response at index -1, keeping the handler’s @Param()s', () => {
    class Rooms {
      @SseChannel('rooms/:id')
      handler(@Param('id') _id: string): void {}
    }
    const handler = Rooms.prototype.handler;
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe('rooms/:id');
    expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBe(RequestMethod.GET);
    const args = Reflect.getMetadata(NEST_ROUTE_ARGS_METADATA, Rooms, 'handler') as Record<string, { index: number; data?: unknown }>;
    expect(args[`${RouteParamtypes.RESPONSE}:-1`]).toMatchObject({ index: -1 });
    expect(args[`${RouteParamtypes.PARAM}:0`]).toMatchObject({ index: 0, data: 'id' });
  });
});

describe('@nestjs/common metadata of @Sse() and @Res({ passthrough }), which @SseChannel() routes must not be left with', () => {
  it("SSE_METADATA ('__sse__'): our key is Nest's, and @Sse() stores it on the handler function — below @SseChannel() it moves to the boxed handler with the rest (what the start-up explorer reads to refuse the pair)", () => {
    expect(SSE_METADATA).toBe(NEST_SSE_METADATA);
    class Above {
      @Sse('a')
      @SseChannel('a')
      handler(): void {}
    }
    class Below {
      @SseChannel('b')
      @Sse('b')
      handler(): void {}
    }
    expect(Reflect.getMetadata(SSE_METADATA, Above.prototype.handler)).toBe(true);
    expect(Reflect.getMetadata(SSE_METADATA, Below.prototype.handler)).toBe(true);
  });

  it("RESPONSE_PASSTHROUGH_METADATA ('__responsePassthrough__'): our key is Nest's; @Res({ passthrough: true }) stores true on the class, for the method, before @SseChannel() runs, which turns it off", () => {
    expect(RESPONSE_PASSTHROUGH_METADATA).toBe(NEST_RESPONSE_PASSTHROUGH_METADATA);
    class Plain {
      @Get()
      handler(@Res({ passthrough: true }) _res: unknown): void {}
    }
    class Route {
      @SseChannel('c')
      handler(@Res({ passthrough: true }) _res: unknown): void {}
    }
    expect(Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, Plain, 'handler')).toBe(true);
    expect(Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, Route, 'handler')).toBe(false);
  });
});

describe('@nestjs/common SSE_ABORT_CONTROLLER (where @SseSignal() finds the request’s AbortController)', () => {
  const { SSE_ABORT_CONTROLLER, SseSignal } = common as unknown as { SSE_ABORT_CONTROLLER?: symbol; SseSignal?: () => ParameterDecorator };

  it('is exported by @nestjs/common 12.5+ (the library reads it off the namespace, so that older Nests work without @SseSignal())', () => {
    expect(typeof SSE_ABORT_CONTROLLER).toBe('symbol');
    expect(typeof SseSignal).toBe('function');
  });

  it('@SseSignal() gives the handler request[SSE_ABORT_CONTROLLER].signal — the one provideSseSignal() puts there, which aborts when the response closes', () => {
    class Handlers {
      handler(@SseSignal!() _signal: AbortSignal): void {}
    }
    const args = Reflect.getMetadata(NEST_ROUTE_ARGS_METADATA, Handlers, 'handler') as Record<string, { factory?: (data: unknown, context: unknown) => unknown }>;
    const entry = Object.entries(args).find(([name]) => name.includes(CUSTOM_ROUTE_ARGS_METADATA));
    expect(entry?.[1].factory).toEqual(expect.any(Function));
    const raw = {};
    const request = { raw };
    const response = Object.assign(new EventEmitter(), { closed: false, destroyed: false }) as unknown as ServerResponse;
    provideSseSignal(request, response);
    const context = { switchToHttp: () => ({ getRequest: () => request }) };
    const signal = entry![1].factory!(undefined, context) as AbortSignal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect((raw as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER!]).toBe((request as Record<symbol, unknown>)[SSE_ABORT_CONTROLLER!]);
    expect(signal.aborted).toBe(false);
    response.emit('close');
    expect(signal.aborted).toBe(true);
  });
});

describe("@nestjs/swagger's metadata keys and shapes (lib/openapi writes them without importing swagger)", () => {
  it("our keys are swagger's DECORATORS.API_RESPONSE, API_PARAMETERS, API_EXTRA_MODELS and API_SCHEMA (its dist/constants.js)", async () => {
    const main = createRequire(import.meta.url).resolve('@nestjs/swagger');
    const { DECORATORS } = (await import(join(dirname(main), 'constants.js'))) as { DECORATORS: Record<string, string> };
    expect({ API_RESPONSE, API_PARAMETERS, API_EXTRA_MODELS, API_SCHEMA }).toEqual({
      API_RESPONSE: DECORATORS.API_RESPONSE,
      API_PARAMETERS: DECORATORS.API_PARAMETERS,
      API_EXTRA_MODELS: DECORATORS.API_EXTRA_MODELS,
      API_SCHEMA: DECORATORS.API_SCHEMA,
    });
  });

  it('@ApiResponse() stores a map by status on the handler; @ApiParam() a list of { name, in }; @ApiExtraModels() a list of classes; @ApiSchema() a list of { name } on the class', () => {
    @ApiSchema({ name: 'Renamed' })
    class Model {}
    class Handlers {
      @ApiResponse({ status: 200, description: 'theirs' })
      @ApiParam({ name: 'id', description: 'the room' })
      @ApiExtraModels(Model)
      handler(): void {}
    }
    const handler = Handlers.prototype.handler;
    expect(Reflect.getMetadata(API_RESPONSE, handler)).toEqual({ 200: expect.objectContaining({ description: 'theirs' }) });
    expect(Reflect.getMetadata(API_PARAMETERS, handler)).toEqual([expect.objectContaining({ name: 'id', in: 'path', description: 'the room' })]);
    expect(Reflect.getMetadata(API_EXTRA_MODELS, handler)).toEqual([Model]);
    expect(Reflect.getOwnMetadata(API_SCHEMA, Model)).toEqual([expect.objectContaining({ name: 'Renamed' })]);
  });

  it('documentSseRoute() merges into what the swagger decorators stored, and leaves a param taken with @Param() to swagger', async () => {
    @ApiSchema({ name: 'Message' })
    class Model {}
    class Handlers {
      @ApiResponse({ status: 200, description: 'theirs' })
      @ApiParam({ name: 'id', description: 'the room' })
      handler(@Param('note') _note: string): void {}
    }
    const handler = Handlers.prototype.handler;
    documentSseRoute(Handlers.prototype, 'handler', handler, { paths: [':id/:note'], event: 'chat', presence: false, schema: Model });
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    const responses = Reflect.getMetadata(API_RESPONSE, handler) as Record<string, { description: string; content: object }>;
    expect(responses[200].description).toContain('theirs');
    expect(responses[200].content).toEqual({ 'text/event-stream': { schema: { $ref: '#/components/schemas/Message' } } });
    const params = Reflect.getMetadata(API_PARAMETERS, handler) as { name: string; in: string; description?: string }[];
    expect(params.filter((entry) => entry.in === 'path').map((entry) => [entry.name, entry.description])).toEqual([['id', 'the room']]);
    expect(Reflect.getMetadata(API_EXTRA_MODELS, handler)).toEqual([Model]);
  });
});
