import type { ChannelRegistry } from '../registry/channel-registry.js';
import { ChannelFollower } from '../registry/channel-follower.js';
import { decodeFrames, type DecodedFrame } from '../wire/decoder.js';
import type { SseMcpMessage, SseMcpReplayTarget } from './mcp-event-store.interface.js';
import { formatMcpEventId, isTagOf, parseMcpEventId, streamTag, type McpEventId } from './mcp-event-id.js';
import * as messages from './mcp.messages.js';

/** A stream with stores in flight or a replay under way (kept only while it has either). */
interface StreamActivity {
  readonly stores: Set<Promise<unknown>>;
  /** Open once the replay under way has handed its stream to the SDK; stores wait for it. */
  gate: Promise<void> | undefined;
}

/**
 * The events of one MCP session (and identity): one channel per stream, named
 * by the stream's tag under the prefix. Ids of another session, another
 * identity or nobody's are not its own: they resolve to nothing.
 *
 * On the instance that holds the session (`follow: false`) a replay sends
 * what the stream missed and returns; the SDK's transport takes the stream
 * from there. So that no event falls between the two, stores of the stream
 * wait while it replays, and the replay waits for the stores in flight.
 * For a session held elsewhere (`follow: true`, `resume()`), a replay
 * follows the channel: what was missed, then what the other instance stores,
 * up to the request's response.
 */
export class McpSessionEvents {
  private readonly streams = new Map<string, StreamActivity>();
  private readonly followers = new Set<ChannelFollower>();
  /** Told when a follow ends but for its client leaving: the response was sent, or the channel closed (shutdown); `resume()` ends the HTTP response then. */
  onFinished: (() => void) | undefined;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly prefix: string,
    private readonly sessionId: string,
    private readonly identity: string,
    private readonly follow: boolean,
  ) {}

  async store(streamId: string, message: SseMcpMessage): Promise<string> {
    const tag = streamTag(this.sessionId, this.identity, streamId);
    let data: string;
    try {
      data = JSON.stringify(message);
    } catch (error) {
      throw new TypeError(messages.unstorableMessage(streamId, error), { cause: error });
    }
    let activity = this.streams.get(streamId);
    while (activity?.gate) {
      await activity.gate;
      activity = this.streams.get(streamId);
    }
    activity ??= this.activityOf(streamId);
    const publishing = this.registry.publish(`${this.prefix}/${tag}`, data, undefined, undefined);
    activity.stores.add(publishing);
    try {
      return formatMcpEventId(tag, streamId, await publishing);
    } finally {
      activity.stores.delete(publishing);
      this.prune(streamId, activity);
    }
  }

  /** The stream of an id of this session's, or `undefined` for any other id. */
  streamOf(eventId: string): McpEventId | undefined {
    const id = parseMcpEventId(eventId);
    return id && isTagOf(id.tag, streamTag(this.sessionId, this.identity, id.streamId)) ? id : undefined;
  }

  async replay(lastEventId: string, target: SseMcpReplayTarget): Promise<string> {
    const at = this.streamOf(lastEventId);
    if (!at) {
      throw new Error(messages.unknownEventId(lastEventId));
    }
    if (this.follow) {
      const follower = new ChannelFollower({
        frame: (frame) => this.forward(frame, at, target, follower),
        stopped: (reason) => {
          this.followers.delete(follower);
          if (reason !== 'client') this.onFinished?.();
        },
      });
      this.followers.add(follower);
      try {
        await follower.follow(this.registry, `${this.prefix}/${at.tag}`, at.channelId);
      } catch (error) {
        follower.stop('error');
        throw error;
      }
      return at.streamId;
    }
    const activity = this.activityOf(at.streamId);
    const before = activity.gate;
    let open!: () => void;
    activity.gate = new Promise<void>((resolve) => (open = resolve));
    const gate = activity.gate;
    try {
      await before;
      await Promise.allSettled([...activity.stores]);
      for (const event of await this.missed(`${this.prefix}/${at.tag}`, at.channelId)) {
        await sendEvent({ ...decodeFrames(event.body)[0], event: event.event }, at, target);
      }
      return at.streamId;
    } finally {
      // (The SDK maps the stream to its response right after this returns; stores go on after that.)
      setImmediate(() => {
        open();
        if (activity.gate === gate) activity.gate = undefined;
        this.prune(at.streamId, activity);
      });
    }
  }

  /** Stops every follow (its client went away). */
  close(): void {
    for (const follower of [...this.followers]) {
      follower.stop('client');
    }
  }

  private async forward(frame: DecodedFrame, at: McpEventId, target: SseMcpReplayTarget, follower: ChannelFollower): Promise<void> {
    const message = await sendEvent(frame, at, target);
    if (message !== undefined && isResponse(message)) {
      follower.stop('complete');
    }
  }

  private async missed(channel: string, after: string) {
    const held = await this.registry.acquire(channel);
    try {
      return (await held.feed.missed(after)).events;
    } finally {
      this.registry.release(held);
    }
  }

  private activityOf(streamId: string): StreamActivity {
    let activity = this.streams.get(streamId);
    if (!activity) {
      activity = { stores: new Set(), gate: undefined };
      this.streams.set(streamId, activity);
    }
    return activity;
  }

  private prune(streamId: string, activity: StreamActivity): void {
    if (activity.stores.size === 0 && activity.gate === undefined && this.streams.get(streamId) === activity) {
      this.streams.delete(streamId);
    }
  }
}

/**
 * Sends one of the stream's channel events to the SDK under its MCP id, if it
 * is an MCP message (frames with an event name are the channel's own — a
 * reset, an end); @returns the message sent.
 */
async function sendEvent(frame: DecodedFrame, at: McpEventId, target: SseMcpReplayTarget): Promise<SseMcpMessage | undefined> {
  const message = messageOf(frame);
  if (message === undefined || frame.event !== undefined || frame.id === undefined) {
    return undefined;
  }
  await target.send(formatMcpEventId(at.tag, at.streamId, frame.id), message);
  return message;
}

/** The MCP message of a frame; `undefined` for the SDK's priming event (`{}`: nothing to replay) and for anything not a JSON object. */
function messageOf(frame: DecodedFrame | undefined): SseMcpMessage | undefined {
  if (frame?.data === undefined) {
    return undefined;
  }
  try {
    const message = JSON.parse(frame.data) as unknown;
    return message !== null && typeof message === 'object' && !Array.isArray(message) && Object.keys(message).length > 0 ? (message as SseMcpMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON-RPC response: the last message of a request's stream. */
const isResponse = (message: SseMcpMessage): boolean => 'id' in message && ('result' in message || 'error' in message);
