import { quote } from '../sse.messages.js';

/** The message of every call to a store not bound to a session. */
export const unboundStore = (member: string) =>
  `SseMcpEventStore.${member}(): this store is not bound to an MCP session, so it cannot tell one session's events from another's. ` +
  'Give each transport the store of its session: new StreamableHTTPServerTransport({ sessionIdGenerator: () => sessionId, eventStore: store.forSession(sessionId) }).';

export const invalidSessionId = (value: unknown) =>
  `Invalid MCP session id ${quote(value)}: it must be 1-256 visible ASCII characters (0x21-0x7E), as MCP requires. Pass the id your sessionIdGenerator gave (e.g. randomUUID()).`;

export const invalidIdentity = (value: unknown) =>
  `Invalid identity ${quote(value)} for SseMcpEventStore.forSession(): it must be a non-empty string without NUL characters, at most 1024 long (the authenticated user's id), or left out.`;

export const unknownEventId = (value: unknown) =>
  `SseMcpEventStore: ${quote(value)} is not an event id of this MCP session (not one it wrote, or of another session or identity): nothing is replayed.`;

export const unstorableMessage = (streamId: string, error: unknown) =>
  `SseMcpEventStore.storeEvent(): the message for stream ${quote(streamId)} is not JSON (${(error as Error)?.message ?? String(error)}).`;

export const sdkMissing = () =>
  'SseMcpEventStore.resume() needs the MCP SDK: npm install @modelcontextprotocol/sdk (1.32 or later).';
