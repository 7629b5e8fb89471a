import { parseChannelTemplate, templateMatches, type ChannelSegment } from '../model/channel-template.js';

/** The template of a channel that no route's channel (nor a `channels` option key) can produce. */
export const UNROUTED = '(unrouted)';

interface Pattern {
  readonly template: string;
  readonly segments: readonly ChannelSegment[];
  readonly fixed: number;
}

/**
 * The channel names the application declares — its routes' channels
 * (`rooms/:id`) and the keys of the `channels` option — by which a channel is
 * told apart in metrics: `rooms/42` counts as `rooms/:id`, never under its
 * own name (a series per room or per user would have no bound). A fixed name
 * wins over a template; of two templates, the one with more fixed segments.
 */
export class ChannelTemplates {
  private readonly fixed = new Set<string>();
  private patterns: Pattern[] = [];

  /** Adds a declared channel name; one that is not a valid template (e.g. `a:b`) is ignored. */
  add(template: string): void {
    let segments: ChannelSegment[];
    try {
      segments = parseChannelTemplate(template, 'metrics');
    } catch {
      return;
    }
    const fixed = segments.filter((segment) => typeof segment === 'string').length;
    if (fixed === segments.length) {
      this.fixed.add(template);
    } else if (!this.patterns.some((pattern) => pattern.template === template)) {
      this.patterns = [...this.patterns, { template, segments, fixed }].sort((a, b) => b.fixed - a.fixed);
    }
  }

  /** The template `channel` counts under: a declared name it matches, or {@link UNROUTED}. */
  of(channel: string): string {
    if (this.fixed.has(channel)) {
      return channel;
    }
    const parts = channel.split('/');
    for (const pattern of this.patterns) {
      if (templateMatches(pattern.segments, parts)) {
        return pattern.template;
      }
    }
    return UNROUTED;
  }
}
