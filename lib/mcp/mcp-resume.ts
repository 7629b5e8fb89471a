import type { IncomingMessage, ServerResponse } from 'node:http';
import { importOptional } from '../util/import-optional.js';
import type { McpSessionEvents } from './mcp-session-events.js';
import * as messages from './mcp.messages.js';

/** What `resume()` uses of the SDK's Node transport (server/streamableHttp.js). */
interface NodeTransport {
  start(): Promise<void>;
  close(): Promise<void>;
  handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void>;
}
interface StreamableHttpModule {
  StreamableHTTPServerTransport: new (options: { sessionIdGenerator: undefined; eventStore: object }) => NodeTransport;
}

const SDK_TRANSPORT = '@modelcontextprotocol/sdk/server/streamableHttp.js';

/**
 * Answers a resume of a session another instance holds (a `GET` without
 * `Last-Event-ID` gets 405, which the SDK's client takes as "no stream here"): a transport of the
 * SDK without sessions of its own, on a store bound to the session the
 * request names (so an id of any other session is refused by the SDK with
 * 400), which follows the stream; the response ends when the stream's
 * request is answered, and the follow when the client goes.
 */
export async function resumeElsewhere(
  request: IncomingMessage,
  response: ServerResponse,
  bind: (sessionId: string) => { store: object; events: McpSessionEvents },
  /** Whether channels are shared among instances (a transport): without one, no other instance's events can be seen here. */
  shared: boolean,
): Promise<void> {
  const sdk = await importOptional<StreamableHttpModule>(SDK_TRANSPORT);
  if (!sdk) {
    throw new Error(messages.sdkMissing());
  }
  const sessionId = request.headers['mcp-session-id'];
  const lastEventId = request.headers['last-event-id'];
  if (request.method !== 'GET' || typeof sessionId !== 'string' || !shared) {
    // (Nothing to resume here: only the instance holding the session can answer it.)
    answer(response, 404, -32001, 'Session not found');
    return;
  }
  if (typeof lastEventId !== 'string' || lastEventId === '') {
    // A new stream of the session, not a resume: this instance offers none (the SDK's client then goes on without it).
    response.setHeader('allow', 'POST, DELETE');
    answer(response, 405, -32000, 'Method Not Allowed: this instance does not hold the session; only a resume (Last-Event-ID) is answered here');
    return;
  }
  let bound: ReturnType<typeof bind>;
  try {
    bound = bind(sessionId);
  } catch {
    answer(response, 400, -32000, 'Bad Request: invalid Mcp-Session-Id header');
    return;
  }
  const transport = new sdk.StreamableHTTPServerTransport({ sessionIdGenerator: undefined, eventStore: bound.store });
  let ended = false;
  const done = () => {
    if (ended) return;
    ended = true;
    bound.events.close();
    void transport.close();
  };
  bound.events.onFinished = done;
  response.once('close', done);
  await transport.start();
  await transport.handleRequest(request, response);
}

function answer(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
