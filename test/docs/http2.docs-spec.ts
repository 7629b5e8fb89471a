import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { selfSignedCertificate } from '../src/tls.js';
import { until } from '../src/until.js';

/** One SSE stream on an HTTP/2 session, as a browser's EventSource opens it, parsed by a real SSE parser. */
function openStream(session: ClientHttp2Session, path: string) {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const request = session.request({ ':path': path, accept: 'text/event-stream' });
  const headers = new Promise<Record<string, unknown>>((resolve) => request.on('response', resolve));
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => parser.feed(chunk));
  request.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => request.on('close', () => resolve()));
  return { headers, events, closed };
}

// The HTTP/2 guide's main.ts (docs/examples/http2/), run as it is: TLS files and
// port from the environment; the test keeps the app NestFactory.create() made.
describe("the HTTP/2 guide's main.ts", () => {
  let dir: string;
  let tls: { key: string; cert: string };
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    tls = await selfSignedCertificate();
    dir = mkdtempSync(join(tmpdir(), 'sse-h2-docs-'));
    writeFileSync(join(dir, 'key.pem'), tls.key);
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    Object.assign(process.env, { TLS_KEY_FILE: join(dir, 'key.pem'), TLS_CERT_FILE: join(dir, 'cert.pem'), PORT: '0', HOST: '127.0.0.1' });
    const create = NestFactory.create.bind(NestFactory);
    let created: Promise<INestApplication> | undefined;
    jest.spyOn(NestFactory, 'create').mockImplementation(((module: never, adapter: never) => (created = create(module, adapter, { logger: false }))) as never);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await import('../../docs/examples/http2/main.js');
    app = await created!;
    url = `https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    for (const name of ['TLS_KEY_FILE', 'TLS_CERT_FILE', 'PORT', 'HOST']) delete process.env[name];
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('10 streams and a POST share one HTTP/2 connection; every stream gets the event with the same id', async () => {
    const session = connect(url, { ca: tls.cert });
    session.on('error', () => undefined);
    try {
      const streams = Array.from({ length: 10 }, () => openStream(session, '/rooms/42'));
      for (const headers of await Promise.all(streams.map((s) => s.headers))) {
        expect(headers[':status']).toBe(200);
        expect(headers['content-type']).toMatch(/^text\/event-stream/);
        expect(headers.connection).toBeUndefined(); // forbidden in HTTP/2
      }
      await until(() => app.get(SseBroadcaster).clientCount('rooms/42') === 10, '10 clients');
      const post = session.request({ ':method': 'POST', ':path': '/rooms/42', 'content-type': 'application/json' });
      post.setEncoding('utf8');
      let body = '';
      post.on('data', (chunk: string) => (body += chunk));
      post.end(JSON.stringify({ text: 'over h2' }));
      await new Promise((resolve) => post.on('end', resolve));
      const { id } = JSON.parse(body) as { id: string };
      await until(() => streams.every((s) => s.events.length === 1), 'the event on every stream');
      for (const stream of streams) {
        expect(stream.events.map((e) => [e.event, e.id, e.data])).toEqual([['chat', id, '{"text":"over h2"}']]);
      }
    } finally {
      session.destroy();
    }
  });

  it('a client without HTTP/2 gets the stream over HTTP/1.1 (allowHTTP1)', async () => {
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const request = httpsRequest(`${url}/rooms/7`, { ca: tls.cert, headers: { accept: 'text/event-stream' }, agent: false }, resolve);
      request.on('error', reject);
      request.end();
    });
    try {
      expect(response.httpVersion).toBe('1.1');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    } finally {
      response.destroy();
    }
  });

  it('app.close() ends the streams and closes the HTTP/2 session at once (GOAWAY)', async () => {
    const session = connect(url, { ca: tls.cert });
    session.on('error', () => undefined);
    const sessionClosed = new Promise<void>((resolve) => session.on('close', () => resolve()));
    const stream = openStream(session, '/rooms/9');
    expect((await stream.headers)[':status']).toBe(200);
    await app.close();
    await Promise.all([stream.closed, sessionClosed]);
    expect(session.closed || session.destroyed).toBe(true);
  });
});
