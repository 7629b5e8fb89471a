import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChannelRegistry } from '../registry/channel-registry.js';
import type { SseMcpMessage, SseMcpReplayTarget, SseMcpSessionOptions } from './mcp-event-store.interface.js';
import { McpSessionEvents } from './mcp-session-events.js';
import { resumeElsewhere } from './mcp-resume.js';
import * as messages from './mcp.messages.js';

/** An MCP session id: 1-256 visible ASCII characters (the MCP spec's rule). */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * An MCP `EventStore` (`@modelcontextprotocol/sdk`) on this module's channels:
 * every MCP stream is a channel under `mcp.prefix`, so its events get ids,
 * bounded history, TTLs, the global history budget, metrics and — with
 * `RedisTransport` — every instance.
 *
 * Inject it, and give each session's transport the store of that session:
 * `eventStore: store.forSession(sessionId)`. A session replays only its own
 * events: an id of another session (or identity) replays nothing. A resume
 * that reaches an instance without the session goes to {@link resume}.
 *
 * @publicApi
 */
@Injectable()
export class SseMcpEventStore {
  private session: McpSessionEvents | undefined;

  constructor(private readonly registry: ChannelRegistry) {}

  /** The store of one MCP session (and identity), for its `StreamableHTTPServerTransport`. */
  forSession(sessionId: string, options?: SseMcpSessionOptions): SseMcpEventStore {
    return this.bind(sessionId, options, false);
  }

  /** Stores a message of one of the session's streams; resolves with its event id. */
  async storeEvent(streamId: string, message: SseMcpMessage): Promise<string> {
    return this.bound('storeEvent').store(streamId, message);
  }

  /** The stream an event id of this session belongs to; `undefined` for any other id (the SDK answers 400). */
  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.bound('getStreamIdForEventId').streamOf(eventId)?.streamId;
  }

  /** Sends what the stream had after `lastEventId`; resolves with the stream's id. */
  async replayEventsAfter(lastEventId: string, target: SseMcpReplayTarget): Promise<string> {
    return this.bound('replayEventsAfter').replay(lastEventId, target);
  }

  /**
   * Answers a resume (`GET` with `Mcp-Session-Id` and `Last-Event-ID`) of a
   * session this instance does not hold, with the SDK's transport: what the
   * stream missed, then what the instance running the request stores, up to
   * its response. Anything else gets the SDK's `404 Session not found` (so
   * does every request without a shared transport, `RedisTransport`: no
   * other instance's events can be seen then); an id not of that session
   * (and identity), `400`; a `GET` without `Last-Event-ID`, `405`.
   */
  resume(request: IncomingMessage, response: ServerResponse, options?: SseMcpSessionOptions): Promise<void> {
    return resumeElsewhere(request, response, (sessionId) => {
      const store = this.bind(sessionId, options, true);
      return { store, events: store.session! };
    }, this.registry.options.transport !== undefined);
  }

  private bind(sessionId: string, options: SseMcpSessionOptions | undefined, follow: boolean): SseMcpEventStore {
    if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) {
      throw new TypeError(messages.invalidSessionId(sessionId));
    }
    const identity = options?.identity;
    if (identity !== undefined && (typeof identity !== 'string' || identity === '' || identity.length > 1024 || identity.includes('\0'))) {
      throw new TypeError(messages.invalidIdentity(identity));
    }
    const store = new SseMcpEventStore(this.registry);
    store.session = new McpSessionEvents(this.registry, this.registry.options.mcp.prefix, sessionId, identity ?? '', follow);
    return store;
  }

  private bound(member: string): McpSessionEvents {
    if (!this.session) {
      throw new Error(messages.unboundStore(member));
    }
    return this.session;
  }
}
