// The internals of other packages the library relies on that only a real
// socket shows (docs/architecture.md, "Dependencies on other packages'
// internals"; the rest are pinned in test/unit/dependencies.spec.ts). That
// the fast path's bytes are valid chunks, multi-byte text and 70 KB frames
// included, on both platforms, is pinned by test/e2e/wire.e2e-spec.ts.
import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Param, Res, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { map, type Observable } from 'rxjs';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { chunkedSocket, writeChunk } from '../../lib/connection/chunked-socket.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';
import { until } from '../src/until.js';

/** The chunks of an HTTP/1.1 chunked body read off raw bytes, and whether the last (0) came. */
function dechunk(raw: Buffer): { head: string; body: string; ended: boolean } {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, Math.max(headEnd, 0)).toString('latin1');
  const chunks: Buffer[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = lineEnd === -1 ? NaN : parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (headEnd === -1 || Number.isNaN(size) || raw.length < lineEnd + 2 + size + 2) {
      return { head, body: Buffer.concat(chunks).toString('utf8'), ended: false };
    }
    if (size === 0) {
      return { head, body: Buffer.concat(chunks).toString('utf8'), ended: true };
    }
    chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    expect(raw.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1')).toBe('\r\n');
    at = lineEnd + 4 + size;
  }
}

/** A raw client: what it has received so far, and whether the server closed the connection. */
function rawClient(port: number, request: string): { socket: Socket; received: () => Buffer; closed: () => boolean } {
  const socket = connect(port, '127.0.0.1');
  let raw = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (data: Buffer) => (raw = Buffer.concat([raw, data])));
  socket.on('close', () => (closed = true));
  socket.write(request);
  return { socket, received: () => raw, closed: () => closed };
}

describe("Node's http.ServerResponse internals (lib/streaming/chunked-socket.ts, lib/streaming/connection.ts)", () => {
  let server: Server;
  let port: number;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  beforeAll(async () => {
    server = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('OutgoingMessage _headerSent, chunkedEncoding and outputSize: chunkedSocket() gives the socket once the headers are out, and chunks written there arrive intact', async () => {
    const seen: unknown[] = [];
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      seen.push(chunkedSocket(res)); // headers not out yet: cannot tell
      res.write('data: first\n\n', () => {
        const socket = chunkedSocket(res);
        seen.push(socket === res.socket);
        if (socket) {
          writeChunk(socket, 'data: héllo ☃ 😀\n\n');
          writeChunk(socket, Buffer.from('data: shared\n\n'));
        }
        res.end();
      });
    };
    const client = rawClient(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => dechunk(client.received()).ended, 'the last chunk');
    client.socket.destroy();
    expect(seen).toEqual([undefined, true]);
    const { head, body } = dechunk(client.received());
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(body).toBe('data: first\n\ndata: héllo ☃ 😀\n\ndata: shared\n\n');
  });

  it('chunkedEncoding is false for an HTTP/1.0 client: chunkedSocket() says null (frames go through response.write())', async () => {
    let found: unknown = 'not run';
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: x\n\n', () => {
        found = chunkedSocket(res);
        res.end();
      });
    };
    const client = rawClient(port, 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => client.closed(), 'the response to end');
    expect(found).toBeNull();
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\ndata: x\n\n$/);
  });

  it("shouldKeepAlive = false set after the headers went out does not close the connection (Node decides that when it stores the headers); server.closeIdleConnections(), which server.close() calls, closes it once the response has ended", async () => {
    // lib/streaming/connection.ts sets shouldKeepAlive = false on shutdown, after
    // the headers: on Node 20 that is a no-op; what closes the connection of an
    // ended stream is Nest's app.close() closing the server after the streams ended.
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: x\n\n', () => {
        res.shouldKeepAlive = false;
        res.end();
      });
    };
    const client = rawClient(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => dechunk(client.received()).ended, 'the last chunk');
    expect(dechunk(client.received())).toMatchObject({ body: 'data: x\n\n', ended: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.closed()).toBe(false);
    server.closeIdleConnections();
    await until(() => client.closed(), 'the server to close the idle connection');
  });
});

@Controller('deps')
class FastPathController {
  @SseChannel('fast', { channel: 'deps/fast' })
  fast(): void {}
}

describe.each(PLATFORMS)('the chunked fast path on @nestjs/platform-%s (the raw ServerResponse under its response)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [FastPathController] });
  });
  afterAll(() => t.close());

  it('after the first frame, frames go straight to the socket (not through response.write()) and arrive intact', async () => {
    const broadcaster = t.app.get(SseBroadcaster);
    const client = rawClient(Number(new URL(t.url).port), 'GET /deps/fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    try {
      await until(() => broadcaster.clientCount('deps/fast') === 1, 'the client');
      const write = jest.spyOn(ServerResponse.prototype, 'write');
      const framesWritten = () => write.mock.calls.filter(([chunk]) => String(chunk).includes('data: ')).length;
      let first: string;
      let later: string[];
      try {
        first = await broadcaster.publish('deps/fast', 'first');
        await until(() => dechunk(client.received()).body.includes('first'), 'the first frame');
        expect(framesWritten()).toBe(1); // with the headers, through response.write()
        later = [await broadcaster.publish('deps/fast', 'héllo ☃ 😀'), await broadcaster.publish('deps/fast', 'y'.repeat(20_000))];
        await until(() => dechunk(client.received()).body.includes('y'.repeat(20_000)), 'the later frames');
        expect(framesWritten()).toBe(1);
      } finally {
        write.mockRestore();
      }
      expect(dechunk(client.received()).body).toBe(
        `id: ${first}\ndata: first\n\nid: ${later[0]}\ndata: héllo ☃ 😀\n\nid: ${later[1]}\ndata: ${'y'.repeat(20_000)}\n\n`,
      );
    } finally {
      client.socket.destroy();
    }
  });
});

/** Writes the response itself, a little after the handler returned — as the library's route interceptor does. */
@Injectable()
class LateWriter implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // (On Fastify, without hijack(): were Nest to send the handler's value, Fastify would.)
    const res = context.switchToHttp().getResponse<ServerResponse | { raw: ServerResponse }>();
    const raw = 'raw' in res ? res.raw : res;
    return next.handle().pipe(
      map((value) => {
        setTimeout(() => raw.end(`written by the interceptor after ${String(value)}`), 20);
        return undefined;
      }),
    );
  }
}

@Controller('deps')
class ResAtMinusOneController {
  static calls: unknown[][] = [];

  @Get('res/:id')
  @UseInterceptors(LateWriter)
  handler(@Param('id') id: string): string {
    ResAtMinusOneController.calls.push([...arguments]); // eslint-disable-line prefer-rest-params -- every argument Nest passed, declared or not
    return `handler ${id}`;
  }
}
Res()(ResAtMinusOneController.prototype, 'handler', -1);

describe.each(PLATFORMS)('@nestjs/core on %s: Res() at parameter index -1 (lib/decorators/sse-channel.decorator.ts)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, { controllers: [ResAtMinusOneController] });
  });
  afterAll(() => t.close());

  it('makes Nest leave the response to the route (it sends nothing itself), and the handler gets only its declared arguments', async () => {
    ResAtMinusOneController.calls = [];
    const response = await fetch(`${t.url}/deps/res/7`);
    expect(await response.text()).toBe('written by the interceptor after handler 7');
    expect(ResAtMinusOneController.calls).toEqual([['7']]);
  });
});
