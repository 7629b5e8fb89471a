import { Body, Controller, Get, Param, Post, RequestMethod } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiResponse,
  ApiSchema,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { of } from 'rxjs';
import { SseChannel, SseModule, withSseItemSchemas } from '../../lib/index.js';
import { SseTestStream } from '../../lib/testing/index.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../src/create-app.js';

class ChatMessage {
  @ApiProperty()
  user!: string;

  @ApiProperty({ description: 'What was said' })
  text!: string;
}

@ApiSchema({ name: 'Token' })
class TokenDto {
  @ApiProperty()
  token!: string;
}

class AskDto {
  @ApiProperty()
  question!: string;
}

const NOTICE_SCHEMA = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] };

@Controller('rooms')
class RoomsController {
  @SseChannel(':id', { event: 'chat', presence: true, schema: ChatMessage })
  chat(): void {}

  @SseChannel(':id/notifications', { channel: 'rooms/:id', event: 'notice', schema: NOTICE_SCHEMA })
  notifications(): void {}

  @Get(':id/people')
  people(@Param('id') id: string): string[] {
    return [id];
  }

  @Post(':id')
  say(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Controller('answers')
class AnswersController {
  @SseChannel({ method: RequestMethod.POST, event: 'token', schema: TokenDto })
  ask(@Body() body: AskDto) {
    return of({ token: body.question });
  }

  @SseChannel([':id', 'runs/:id/stream'], { channel: 'answers/:id', schema: { type: 'string', description: 'A word of the answer' } })
  answer(): void {}

  @SseChannel('jobs/:id/:part', { channel: 'jobs/:id' })
  job(@Param('id') id: number): void {
    void id;
  }
}

@Controller('orgs/:org')
class OrgController {
  @SseChannel('feed')
  feed(): void {}
}

/** The user's own swagger decorators, applied before @SseChannel() (below it) and after it (above). */
@Controller('merge')
class MergeController {
  @SseChannel('below/:id', { channel: 'below/:id', event: 'tick' })
  @ApiOperation({ summary: 'Ticks' })
  @ApiOkResponse({ description: 'Ticks of one room.' })
  @ApiResponse({ status: 404, description: 'No such room.' })
  @ApiParam({ name: 'id', description: 'The room' })
  below(): void {}

  @ApiOperation({ summary: 'Ticks' })
  @ApiOkResponse({ description: 'Ticks of one room.' })
  @ApiResponse({ status: 404, description: 'No such room.' })
  @ApiParam({ name: 'id', description: 'The room' })
  @SseChannel('above/:id', { channel: 'above/:id', event: 'tick' })
  above(): void {}

  @ApiParam({ name: 'id', type: Number, description: 'A number' })
  @SseChannel('typed/:id', { channel: 'typed/:id' })
  typed(): void {}
}

const CONTROLLERS = [RoomsController, AnswersController, OrgController, MergeController];

function createDocument(t: TestApp, version?: string): OpenAPIObject {
  const builder = new DocumentBuilder().setTitle('t').setVersion('1');
  return SwaggerModule.createDocument(t.app, (version ? builder.setOpenAPIVersion(version) : builder).build());
}

const SSE = 'text/event-stream';
const stringParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

describe.each(PLATFORMS)('the OpenAPI document of SSE routes on %s', (platform: Platform) => {
  let t: TestApp;
  let doc: OpenAPIObject;
  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: CONTROLLERS });
    doc = createDocument(t);
  });
  afterAll(() => t?.close());

  it('a channel route: 200 with text/event-stream, its events named, its :id a string path param, a DTO as a $ref to components', () => {
    expect(doc.paths['/rooms/{id}'].get).toEqual({
      operationId: 'RoomsController_chat',
      parameters: [stringParam('id')],
      responses: {
        200: {
          description:
            'Server-sent events (text/event-stream): `chat` events, with data as in the schema. ' +
            'Also `sse-join` and `sse-leave` (data `{"identity": "…"}`) as identities join and leave the channel.',
          content: { [SSE]: { schema: { $ref: '#/components/schemas/ChatMessage' } } },
        },
      },
      tags: ['Rooms'],
    });
    expect(doc.components?.schemas?.ChatMessage).toEqual({
      type: 'object',
      properties: { user: { type: 'string' }, text: { type: 'string', description: 'What was said' } },
      required: ['user', 'text'],
    });
  });

  it('a JSON schema object is the content schema as it is', () => {
    expect(doc.paths['/rooms/{id}/notifications'].get?.responses).toEqual({
      200: {
        description: 'Server-sent events (text/event-stream): `notice` events, with data as in the schema.',
        content: { [SSE]: { schema: NOTICE_SCHEMA } },
      },
    });
  });

  it('a POST route answers 200, and is documented so (not 201), with its request body; @ApiSchema() names the model', async () => {
    expect(doc.paths['/answers'].post).toEqual({
      operationId: 'AnswersController_ask',
      parameters: [],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AskDto' } } } },
      responses: {
        200: {
          description: 'Server-sent events (text/event-stream): `token` events, with data as in the schema.',
          content: { [SSE]: { schema: { $ref: '#/components/schemas/Token' } } },
        },
      },
      tags: ['Answers'],
    });
    expect(doc.components?.schemas?.Token).toEqual({ type: 'object', properties: { token: { type: 'string' } }, required: ['token'] });
    const stream = await SseTestStream.open(t.server, { path: '/answers', method: 'POST', body: { question: 'why' } });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe(SSE);
    expect(await stream.waitForEvents(1)).toMatchObject([{ event: 'token', data: '{"token":"why"}' }]);
    await stream.close();
  });

  it('each path of a route is an operation with its params; without an event name the events are `message`', () => {
    const responses = {
      200: {
        description: 'Server-sent events (text/event-stream): `message` events, with data as in the schema.',
        content: { [SSE]: { schema: { type: 'string', description: 'A word of the answer' } } },
      },
    };
    expect(doc.paths['/answers/{id}'].get).toEqual({
      operationId: 'AnswersController_answer[0]',
      parameters: [stringParam('id')],
      responses,
      tags: ['Answers'],
    });
    expect(doc.paths['/answers/runs/{id}/stream'].get).toEqual({
      operationId: 'AnswersController_answer[1]',
      parameters: [stringParam('id')],
      responses,
      tags: ['Answers'],
    });
  });

  it("a param the handler takes with @Param() is swagger's own (typed by the handler), once; the path's others are added", () => {
    expect(doc.paths['/answers/jobs/{id}/{part}'].get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'number' } },
      stringParam('part'),
    ]);
  });

  it("the controller path's params are declared too", () => {
    expect(doc.paths['/orgs/{org}/feed'].get?.parameters).toEqual([stringParam('org')]);
  });

  it.each(['below', 'above'])('the user\'s @ApiOperation, @ApiOkResponse, @ApiResponse and @ApiParam %s @SseChannel() are kept and merged', (where) => {
    expect(doc.paths[`/merge/${where}/{id}`].get).toEqual({
      operationId: `MergeController_${where}`,
      summary: 'Ticks',
      parameters: [{ ...stringParam('id'), description: 'The room' }],
      responses: {
        200: { description: 'Server-sent events (text/event-stream): `tick` events.\n\nTicks of one room.', content: { [SSE]: {} } },
        404: { description: 'No such room.' },
      },
      tags: ['Merge'],
    });
  });

  it("an @ApiParam() with a type of its own keeps it (the user's keys win)", () => {
    expect(doc.paths['/merge/typed/{id}'].get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: 'A number', schema: { type: 'number' } },
    ]);
  });

  it('plain routes are documented as swagger does by itself', () => {
    expect(doc.paths['/rooms/{id}/people'].get).toEqual({
      operationId: 'RoomsController_people',
      parameters: [stringParam('id')],
      responses: { 200: { description: '' } },
      tags: ['Rooms'],
    });
    expect(doc.paths['/rooms/{id}'].post).toEqual({
      operationId: 'RoomsController_say',
      parameters: [stringParam('id')],
      responses: { 201: { description: '' } },
      tags: ['Rooms'],
    });
  });
});

describe('withSseItemSchemas()', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('express', { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: CONTROLLERS });
  });
  afterAll(() => t?.close());

  const event = (data: unknown) => ({
    type: 'object',
    properties: { data, event: { type: 'string' }, id: { type: 'string' }, retry: { type: 'integer', minimum: 0 } },
    required: ['data'],
  });

  it("turns an OpenAPI 3.2 document's event-stream schemas into the itemSchema of one event", () => {
    const doc = createDocument(t, '3.2.0');
    expect(withSseItemSchemas(doc)).toBe(doc);
    expect(doc.openapi).toBe('3.2.0');
    const content = (path: string, method: 'get' | 'post' = 'get') => (doc.paths[path][method]?.responses[200] as { content: unknown }).content;
    // JSON data: its schema is the data's contentSchema.
    expect(content('/rooms/{id}')).toEqual({
      [SSE]: {
        itemSchema: event({ type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/ChatMessage' } }),
      },
    });
    expect(content('/answers', 'post')).toEqual({
      [SSE]: { itemSchema: event({ type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/Token' } }) },
    });
    // A string schema is the data's own; without a schema the data is a string.
    expect(content('/answers/{id}')).toEqual({ [SSE]: { itemSchema: event({ type: 'string', description: 'A word of the answer' }) } });
    expect(content('/merge/below/{id}')).toEqual({ [SSE]: { itemSchema: event({ type: 'string' }) } });
    // Other responses are left alone; a second call changes nothing.
    expect(doc.paths['/answers'].post?.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/AskDto' } } },
    });
    expect(withSseItemSchemas(structuredClone(doc))).toEqual(doc);
  });

  it('refuses an older document, where itemSchema does not exist', () => {
    const doc = createDocument(t);
    expect(() => withSseItemSchemas(doc)).toThrow(
      "withSseItemSchemas(): the document is OpenAPI 3.0.0, and itemSchema exists from OpenAPI 3.2 on. Build it with new DocumentBuilder().setOpenAPIVersion('3.2.0'), or leave it as it is (its event-stream schemas describe the event data).",
    );
    expect(doc.paths['/rooms/{id}'].get?.responses[200]).toMatchObject({ content: { [SSE]: { schema: { $ref: '#/components/schemas/ChatMessage' } } } });
  });
});

describe('the schema option', () => {
  const declare = (schema: unknown) => () => {
    class Routes {
      @SseChannel('x', { channel: 'x', schema: schema as never })
      stream(): void {}
    }
    return Routes;
  };
  const fix =
    "pass the class of the event data (a named class, with @ApiProperty() on its properties), e.g. schema: ChatMessage, or a JSON schema object, e.g. schema: { type: 'object', properties: { text: { type: 'string' } } }.";

  it.each([
    ['a string', 'ChatMessage', '"ChatMessage"'],
    ['an arrow function (a lazy type)', () => ChatMessage, '[function anonymous]'],
    ['an array', [ChatMessage], '[null]'],
    ['null', null, 'null'],
    ['an instance', new Date(0), '"1970-01-01T00:00:00.000Z"'],
  ])('refuses %s, naming the option and the fix', (_, schema, quoted) => {
    expect(declare(schema)).toThrow(`Invalid @SseChannel() on Routes.stream options.schema ${quoted}: ${fix}`);
  });

  it('takes a class or a plain object (also one without a prototype)', () => {
    expect(declare(ChatMessage)).not.toThrow();
    expect(declare({ type: 'string' })).not.toThrow();
    expect(declare(Object.assign(Object.create(null), { type: 'string' }))).not.toThrow();
  });
});

describe("the sample's OpenAPI document", () => {
  it('is served at /docs-json, with Swagger UI at /docs; its SSE routes are documented with their schemas', async () => {
    const app = await createSampleApp({ tickMs: 60_000 }, false);
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
      const ui = await fetch(`${url}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger-ui');
      const doc = (await (await fetch(`${url}/docs-json`)).json()) as OpenAPIObject;
      const sse = (path: string, method: 'get' | 'post' = 'get') => doc.paths[path][method]?.responses[200] as { description: string } | undefined;
      expect(Object.keys(doc.paths)).not.toContain('/');
      expect(sse('/ticker')).toEqual({
        description: 'Server-sent events (text/event-stream): `message` events, with data as in the schema.',
        content: { [SSE]: { schema: { $ref: '#/components/schemas/Tick' } } },
      });
      expect(doc.paths['/rooms/{id}'].get?.parameters).toEqual([
        stringParam('id'),
        { name: 'user', in: 'query', required: false, description: 'Who you are (a real app reads its session instead)', schema: { type: 'string' } },
      ]);
      expect(sse('/rooms/{id}')).toMatchObject({ content: { [SSE]: { schema: { $ref: '#/components/schemas/ChatMessage' } } } });
      expect(sse('/rooms/{id}')?.description).toContain('`sse-join` and `sse-leave`');
      expect(sse('/answers', 'post')).toMatchObject({ content: { [SSE]: { schema: { type: 'string' } } } });
      expect(sse('/answers/{id}')).toMatchObject({ content: { [SSE]: { schema: { type: 'string' } } } });
      expect(Object.keys(doc.components?.schemas ?? {}).sort()).toEqual(['ChatMessage', 'NewChatMessage', 'Question', 'Tick']);
    } finally {
      await app.close();
    }
  });
});
