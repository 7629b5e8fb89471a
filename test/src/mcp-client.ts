import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { until } from './until.js';

/** The sockets of a server, so that a test can cut every connection (what a network drop does). */
export function socketsOf(server: Server): { cut(): void } {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * The SDK's own client on `<base>/mcp`, where `base()` is asked for every
 * request: a test points it at another instance, as a balancer might.
 */
export async function mcpClient(base: () => string, log: string[] = []): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('http://mcp.invalid/mcp'), {
    fetch: (url, init) => {
      const target = String(url).replace('http://mcp.invalid', base());
      log.push(`${init?.method ?? 'GET'} ${target} ${new Headers(init?.headers).get('last-event-id') ?? ''}`.trim());
      return fetch(target, init);
    },
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  const client = new Client({ name: 'test', version: '1.0.0' });
  client.onerror = () => undefined; // (a cut stream is reported here; the call resumes)
  await client.connect(transport);
  return { client, transport };
}

/** Calls the example's countdown tool: the progress steps and the result text, as they arrived. */
export async function countdown(client: Client, from: number, stepMs: number, onStep?: (step: number) => void): Promise<{ steps: number[]; text: string[] }> {
  const steps: number[] = [];
  const result = await client.callTool({ name: 'countdown', arguments: { from, stepMs } }, undefined, {
    onprogress: ({ progress }) => {
      steps.push(progress);
      onStep?.(progress);
    },
    resetTimeoutOnProgress: true,
    timeout: 15_000,
  });
  return { steps, text: (result.content as { type: string; text: string }[]).map((part) => part.text) };
}

/** Starts the countdown (`from` steps of 100 ms) and resolves once two of its events are out: their ids so far, and the call. */
export async function callUnderway(client: Client, from: number): Promise<{ tokens: string[]; call: Promise<unknown> }> {
  const tokens: string[] = [];
  const call = client.callTool({ name: 'countdown', arguments: { from, stepMs: 100 } }, undefined, {
    onresumptiontoken: (token) => tokens.push(token),
    onprogress: () => undefined,
  });
  await until(() => tokens.length >= 2, 'two events of the call');
  return { tokens, call };
}

/** `GET /mcp` as a resuming client sends it, with any session and id: the status, the body read within `ms`, and whether the server ended it. */
export async function rawResume(base: string, sessionId: string, lastEventId: string, ms = 300): Promise<{ status: number; body: string; ended: boolean }> {
  const response = await fetch(`${base}/mcp`, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': lastEventId, 'mcp-protocol-version': '2025-11-25' },
  });
  // (An open stream is read for `ms`, then dropped; a refusal has a body that ends.)
  const { text, ended } = await readFor(response, ms);
  return { status: response.status, body: text, ended };
}

async function readFor(response: Response, ms: number): Promise<{ text: string; ended: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let cancelled = false;
  const stop = setTimeout(() => {
    cancelled = true;
    void reader.cancel();
  }, ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    cancelled = true;
  }
  clearTimeout(stop);
  return { text, ended: !cancelled };
}
