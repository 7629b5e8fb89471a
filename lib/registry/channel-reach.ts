import { parseChannelTemplate, templateMatches, type ChannelSegment } from '../model/channel-template.js';
import * as messages from '../sse.messages.js';
import { closest } from '../util/closest.js';

/** Names published to before start-up declared the routes, checked then (at most this many). */
const MAX_EARLY = 100;
/** Distinct names warned about, after which it says no more (a bound on what it remembers). */
const MAX_WARNED = 1000;

interface Template {
  readonly name: string;
  readonly segments: readonly ChannelSegment[];
}

/**
 * Outside production only: warns, once per name, about a publish to a
 * channel that no route of this application can stream — a typo such as
 * `room/42` for `rooms/:id`, which would otherwise go nowhere, silently.
 *
 * A channel can be streamed when it matches a declared channel — an
 * `@SseChannel()` route's channel (`rooms/:id`) or a key of the `channels`
 * option — or when a stream has joined it. It stays quiet where the
 * application names channels per request: when it has `@SseChannels()` routes
 * (their handlers return any names), and from the first stream that joins a
 * channel no declared one matches (a handler returned
 * `broadcaster.channel(name)`); and on an instance without channel routes
 * (one that only publishes, on Redis, for instances that stream).
 */
export class ChannelReach {
  /** `undefined` until start-up declared the routes' channels. */
  private templates: Template[] | undefined;
  private quiet = false;
  private readonly early = new Set<string>();
  private readonly warned = new Set<string>();

  /** Channels the library makes itself (the MCP store's streams): never warned about, and their streams say nothing. */
  private readonly internal: readonly (readonly ChannelSegment[])[];

  constructor(
    /** The keys of the `channels` option. */
    private readonly optionNames: readonly string[],
    private readonly warn: (message: string) => void,
    internal: readonly string[] = [],
  ) {
    this.internal = internal.map((template) => parseChannelTemplate(template, 'channel'));
  }

  /** Start-up: the channels of the `@SseChannel()` routes; `requestTimeChannels`: the app has `@SseChannels()` routes. */
  declare(routeChannels: readonly string[], requestTimeChannels: boolean): void {
    this.quiet = requestTimeChannels || routeChannels.length === 0;
    const names = [...new Set([...routeChannels, ...this.optionNames])];
    this.templates = names.map((name) => ({ name, segments: parseChannelTemplate(name, 'channel') }));
    const early = [...this.early];
    this.early.clear();
    early.forEach((name) => this.published(name));
  }

  /** A stream joined `name`: one no declared channel matches shows the app names channels at request time. */
  joined(name: string): void {
    if (this.templates !== undefined && !this.matches(name) && !this.isInternal(name)) {
      this.quiet = true;
    }
  }

  /** A publish to `name` (valid: checked before). */
  published(name: string): void {
    if (this.quiet || this.warned.has(name)) {
      return;
    }
    if (this.templates === undefined) {
      if (this.early.size < MAX_EARLY) this.early.add(name);
      return;
    }
    if (this.matches(name)) {
      return;
    }
    this.warned.add(name);
    this.quiet = this.warned.size >= MAX_WARNED;
    this.warn(messages.unstreamedChannel(name, this.templates.map((template) => template.name), this.nearest(name)));
  }

  private isInternal(name: string): boolean {
    const parts = name.split('/');
    return this.internal.some((segments) => templateMatches(segments, parts));
  }

  private matches(name: string): boolean {
    const parts = name.split('/');
    return this.templates!.some((template) => templateMatches(template.segments, parts));
  }

  /** The declared channel nearest to `name`, each template's `:param`s filled with `name`'s segments (`room/42` is near `rooms/:id`). */
  private nearest(name: string): string | undefined {
    const parts = name.split('/');
    const templates = this.templates!;
    const filled = templates.map(({ segments }) =>
      segments.map((segment, i) => (typeof segment === 'string' ? segment : (parts[i] ?? `:${segment.param}`))).join('/'),
    );
    const found = closest(name, filled);
    return found === undefined ? undefined : templates[filled.indexOf(found)].name;
  }
}
