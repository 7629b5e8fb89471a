import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP load balancer on loopback for MCP's Streamable HTTP: a request
 * without a session goes round robin; a request of a session goes to the
 * instance that created it (learned from the `mcp-session-id` header of its
 * answer) — except a resume (`GET` with `Last-Event-ID`), which it sends to
 * another instance: the worst case of a balancer that does not pin streams.
 */
export class McpBalancer {
  private next = 0;
  private readonly owners = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  /** `<method> <backend>` of each request forwarded, `resume` marked. */
  readonly log: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly backends: string[],
  ) {}

  get url(): string {
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  static async start(backends: string[]): Promise<McpBalancer> {
    const server = createServer();
    const balancer = new McpBalancer(server, backends);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => balancer.forward(req, res));
    server.on('connection', (socket: Socket) => {
      balancer.sockets.add(socket);
      socket.once('close', () => balancer.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return balancer;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const session = req.headers['mcp-session-id'];
    const owner = typeof session === 'string' ? this.owners.get(session) : undefined;
    const resume = req.method === 'GET' && req.headers['last-event-id'] !== undefined;
    const backend = owner === undefined ? this.backends[this.next++ % this.backends.length] : resume ? this.backends.find((b) => b !== owner)! : owner;
    this.log.push(`${req.method} ${backend}${resume ? ' resume' : ''}`);
    const upstream = request(`${backend}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const created = answer.headers['mcp-session-id'];
      if (typeof created === 'string' && !this.owners.has(created)) this.owners.set(created, backend);
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  /** Breaks every client connection (the network drops; the instances keep running). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
