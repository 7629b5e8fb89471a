/**
 * The shapes of the MCP SDK's `EventStore` (`@modelcontextprotocol/sdk`,
 * server/streamableHttp), written out so that neither this library nor an
 * app without the SDK needs its types. An `SseMcpEventStore` is assignable
 * to the SDK's `EventStore` (test/e2e/mcp.e2e-spec.ts checks it).
 */

/** A JSON-RPC message, as the SDK hands it to the store (and takes it back on replay). */
export type SseMcpMessage = { readonly [key: string]: unknown };

/** What `replayEventsAfter()` sends each replayed event to. */
export interface SseMcpReplayTarget {
  send(eventId: string, message: SseMcpMessage): Promise<void>;
}

/** Options of {@link SseMcpEventStore.forSession} and `resume()`. */
export interface SseMcpSessionOptions {
  /**
   * Who the session belongs to (e.g. the authenticated user's id): its events
   * are bound to it too, so that a session id alone does not replay them for
   * anyone else. Pass the same identity wherever the session's streams resume.
   */
  identity?: string;
}
