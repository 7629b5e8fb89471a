import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One MCP server per session, with a tool that takes a while and says how far it got. */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'countdown', version: '1.0.0' });
  server.registerTool(
    'countdown',
    {
      description: 'Counts down from `from`, one step every `stepMs`, with a progress notification per step.',
      inputSchema: { from: z.number().int().min(1).max(100), stepMs: z.number().int().min(0).max(10_000).default(200) },
    },
    async ({ from, stepMs }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let step = 1; step <= from; step++) {
        await sleep(stepMs);
        if (progressToken !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, total: from } });
        }
      }
      return { content: [{ type: 'text', text: `liftoff after ${from}` }] };
    },
  );
  return server;
}
