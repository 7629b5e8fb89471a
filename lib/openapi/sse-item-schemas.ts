/**
 * OpenAPI 3.2 describes an event stream event by event: the `itemSchema` of a
 * `text/event-stream` media type is the schema of one event (`event`, `data`,
 * `id`, `retry`). `@nestjs/swagger` 12 writes 3.0 documents and knows no
 * `itemSchema`, so SSE routes document their event data as the content's
 * `schema`; {@link withSseItemSchemas} rewrites that for a 3.2 document.
 */
import { SSE_MEDIA_TYPE } from './sse-openapi.js';

/** What {@link withSseItemSchemas} needs of a document (swagger's `OpenAPIObject` is one). */
export interface SseOpenApiDocument {
  openapi: string;
  paths?: object;
  webhooks?: object;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * For an OpenAPI 3.2 document (`new DocumentBuilder().setOpenAPIVersion('3.2.0')`):
 * turns the `schema` of every `text/event-stream` response content that has
 * no `itemSchema` yet into an `itemSchema` of one event — `data` (a string;
 * JSON with the former schema as its `contentSchema`, unless that schema is a
 * string one), `event`, `id` and `retry` — and drops the `schema`, which in
 * 3.2 would describe the whole stream. Changes the document in place and
 * returns it. Throws for a document of an older OpenAPI version, where
 * `itemSchema` does not exist.
 *
 * @publicApi
 */
export function withSseItemSchemas<T extends SseOpenApiDocument>(document: T): T {
  const version = /^(\d+)\.(\d+)\./.exec(String(document?.openapi));
  if (!version || Number(version[1]) < 3 || (Number(version[1]) === 3 && Number(version[2]) < 2)) {
    throw new Error(
      `withSseItemSchemas(): the document is OpenAPI ${String(document?.openapi)}, and itemSchema exists from OpenAPI 3.2 on. Build it with new DocumentBuilder().setOpenAPIVersion('3.2.0'), or leave it as it is (its event-stream schemas describe the event data).`,
    );
  }
  for (const pathItem of [...Object.values(document.paths ?? {}), ...Object.values(document.webhooks ?? {})]) {
    for (const operation of isObject(pathItem) ? Object.values(pathItem) : []) {
      const responses = isObject(operation) && isObject(operation.responses) ? Object.values(operation.responses) : [];
      for (const response of responses) {
        const media = isObject(response) && isObject(response.content) ? response.content[SSE_MEDIA_TYPE] : undefined;
        if (isObject(media) && media.itemSchema === undefined) {
          media.itemSchema = eventSchema(media.schema);
          delete media.schema;
        }
      }
    }
  }
  return document;
}

/** One event of the stream, with its data as `data` describes it. */
function eventSchema(data: unknown): Json {
  let dataSchema: unknown = { type: 'string' };
  if (isObject(data)) {
    dataSchema = data.type === 'string' ? data : { type: 'string', contentMediaType: 'application/json', contentSchema: data };
  }
  return {
    type: 'object',
    properties: {
      data: dataSchema,
      event: { type: 'string' },
      id: { type: 'string' },
      retry: { type: 'integer', minimum: 0 },
    },
    required: ['data'],
  };
}
