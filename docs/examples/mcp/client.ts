import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * Runs the countdown tool on the MCP server at `url` (e.g.
 * `http://127.0.0.1:3000/mcp`) with the SDK's client, and ends the session.
 * A cut stream is resumed by the client on its own, with the last event id it got.
 */
export async function countdown(url: string, from: number, onProgress: (step: number) => void): Promise<string> {
  const client = new Client({ name: 'countdown-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 10_000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'countdown', arguments: { from } }, undefined, {
      onprogress: ({ progress }) => onProgress(progress),
      resetTimeoutOnProgress: true,
    });
    return (result.content as { type: string; text: string }[]).map((part) => part.text).join('\n');
  } finally {
    await transport.terminateSession();
    await client.close();
  }
}
