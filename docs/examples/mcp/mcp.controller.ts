import { Controller, Delete, Get, Post, Req, Res, type OnApplicationShutdown } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SseMcpEventStore } from 'nestjs-sse-channel';
import { createMcpServer } from './mcp-server.js';

/** Express's request and response are Node's (with the parsed body); Fastify's wrap them (`raw`). */
type Request = (IncomingMessage & { body?: unknown }) | { raw: IncomingMessage; body?: unknown };
type Response = ServerResponse | { raw: ServerResponse; hijack(): void };

/** Sessions this instance holds at most: an `initialize` beyond gets 503. */
const MAX_SESSIONS = 10_000;
/** A session without a request for this long is closed: a client may go away without its DELETE. */
const SESSION_IDLE_MS = 30 * 60_000;

/** MCP's Streamable HTTP on one path: POST for requests, GET for streams (and resumes), DELETE to end a session. */
@Controller('mcp')
export class McpController implements OnApplicationShutdown {
  /** The sessions this instance holds, with when each last had a request. */
  private readonly sessions = new Map<string, { transport: StreamableHTTPServerTransport; seen: number }>();
  private readonly sweep = setInterval(() => this.closeIdleSessions(Date.now()), 60_000).unref();

  constructor(private readonly events: SseMcpEventStore) {}

  @Post()
  async post(@Req() request: Request, @Res() response: Response): Promise<void> {
    const { req, res, body } = nodeOf(request, response);
    const sessionId = sessionOf(req);
    if (sessionId === undefined && this.sessions.size >= MAX_SESSIONS) {
      res.writeHead(503, { 'retry-after': '5' }).end();
      return;
    }
    const transport = sessionId === undefined ? await this.startSession(body) : this.held(sessionId);
    if (!transport) {
      return notFound(res);
    }
    await transport.handleRequest(req, res, body);
  }

  @Get()
  async get(@Req() request: Request, @Res() response: Response): Promise<void> {
    const { req, res } = nodeOf(request, response);
    const transport = this.held(sessionOf(req));
    // A resume that lands on an instance without the session: the store follows it from where the client was.
    await (transport ? transport.handleRequest(req, res) : this.events.resume(req, res));
  }

  @Delete()
  async delete(@Req() request: Request, @Res() response: Response): Promise<void> {
    const { req, res } = nodeOf(request, response);
    const transport = this.held(sessionOf(req));
    if (!transport) {
      return notFound(res);
    }
    await transport.handleRequest(req, res);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all([...this.sessions.values()].map(({ transport }) => transport.close()));
  }

  /** Closes the sessions that have had no request since `now - SESSION_IDLE_MS`. */
  closeIdleSessions(now: number): void {
    for (const { transport, seen } of this.sessions.values()) {
      if (now - seen > SESSION_IDLE_MS) void transport.close();
    }
  }

  /** The transport of a session this instance holds (now seen), if it does. */
  private held(sessionId: string | undefined): StreamableHTTPServerTransport | undefined {
    const session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (session) session.seen = Date.now();
    return session?.transport;
  }

  /** A new session for an `initialize` request; `undefined` for anything else. */
  private async startSession(body: unknown): Promise<StreamableHTTPServerTransport | undefined> {
    if (!isInitializeRequest(body)) {
      return undefined;
    }
    const sessionId = randomUUID();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      // The session's events, on channels: its resumes replay only its own events.
      eventStore: this.events.forSession(sessionId),
      // Clients come back this long after a cut.
      retryInterval: 1000,
      onsessioninitialized: () => {
        this.sessions.set(sessionId, { transport, seen: Date.now() });
      },
    });
    transport.onclose = () => this.sessions.delete(sessionId);
    await createMcpServer().connect(transport);
    return transport;
  }
}

/** Node's request and response for the SDK (Fastify's reply is handed over to it: `hijack()`), and the parsed body. */
function nodeOf(request: Request, response: Response): { req: IncomingMessage; res: ServerResponse; body: unknown } {
  if ('hijack' in response) {
    response.hijack();
  }
  return {
    req: 'raw' in request ? request.raw : request,
    res: 'raw' in response ? response.raw : response,
    body: request.body,
  };
}

const sessionOf = (req: IncomingMessage): string | undefined => {
  const header = req.headers['mcp-session-id'];
  return typeof header === 'string' ? header : undefined;
};

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
}
