import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { EventSource } from 'eventsource';
import { AppModule } from '../../docs/examples/openapi/app.module.js';
import { setUpSwagger } from '../../docs/examples/openapi/swagger.js';
import { until } from '../src/until.js';

// docs/openapi.md's example app (docs/examples/openapi/), set up as its main.ts
// does, on Express (Swagger UI on Fastify needs @fastify/static): the served
// document describes the SSE route as text/event-stream with its event schema,
// and the stream sends what the document says.
describe('the OpenAPI guide', () => {
  let app: INestApplication;
  let url: string;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    app.enableShutdownHooks();
    setUpSwagger(app);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const response = await fetch(`${url}/docs-json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as OpenAPIObject;
  });
  afterAll(() => app?.close());

  it('documents GET /rooms/{id} as a 200 text/event-stream of `chat` events, with ChatMessage as their schema', () => {
    expect(doc.paths['/rooms/{id}'].get).toEqual({
      operationId: 'RoomsController_join',
      summary: 'The messages of a room, as they are posted',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The room' }],
      responses: {
        200: {
          description: 'Server-sent events (text/event-stream): `chat` events, with data as in the schema.',
          content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/ChatMessage' } } },
        },
      },
      tags: ['Rooms'],
    });
    expect(doc.components?.schemas?.ChatMessage).toEqual({
      type: 'object',
      properties: {
        user: { type: 'string', example: 'ada' },
        text: { type: 'string', description: 'What was said', example: 'hello' },
      },
      required: ['user', 'text'],
    });
  });

  it('documents the POST route as swagger does by itself: 201, a ChatMessage body', () => {
    expect(doc.paths['/rooms/{id}'].post).toMatchObject({
      summary: 'Post a message to a room',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ChatMessage' } } } },
      responses: { 201: expect.anything() },
    });
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${url}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger-ui');
  });

  it('the stream sends what the document says: `chat` events whose data is a ChatMessage', async () => {
    const source = new EventSource(`${url}/rooms/42`);
    const seen: unknown[] = [];
    source.addEventListener('chat', (event) => seen.push(JSON.parse(event.data)));
    try {
      await until(() => source.readyState === EventSource.OPEN, 'the stream to open');
      const response = await fetch(`${url}/rooms/42`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'ada', text: 'hello' }),
      });
      expect(response.status).toBe(201);
      await until(() => seen.length === 1, 'the message');
      const schema = doc.components?.schemas?.ChatMessage as { properties: Record<string, unknown>; required: string[] };
      expect(seen).toEqual([{ user: 'ada', text: 'hello' }]);
      expect(Object.keys(seen[0] as object).sort()).toEqual(Object.keys(schema.properties).sort());
    } finally {
      source.close();
    }
  });
});
