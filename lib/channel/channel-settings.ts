import type { ResolvedSseModuleOptions } from '../options/module-options.js';
import type { ChannelSettings } from '../feed/feed.js';

interface Pattern {
  readonly regex: RegExp;
  readonly settings: ChannelSettings;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The settings of each channel: the module's, with the per-channel overrides
 * of `options.channels` (exact names first, then `:param` patterns in order).
 */
export class ChannelSettingsResolver {
  private readonly exact = new Map<string, ChannelSettings>();
  private readonly patterns: Pattern[] = [];
  private readonly defaults: ChannelSettings;

  constructor(options: ResolvedSseModuleOptions) {
    this.defaults = {
      history: options.history.size,
      historyBytes: options.history.bytes,
      resetEvent: options.events.reset,
      endEvent: options.events.end,
    };
    for (const [name, override] of Object.entries(options.channels)) {
      const settings = { ...this.defaults, history: override.size ?? this.defaults.history, historyBytes: override.bytes ?? this.defaults.historyBytes };
      if (name.includes(':')) {
        const source = name.split(/(:[A-Za-z0-9_]+)/).map((part) => (part.startsWith(':') ? '[^/]+' : escape(part)));
        this.patterns.push({ regex: new RegExp(`^${source.join('')}$`), settings });
      } else {
        this.exact.set(name, settings);
      }
    }
  }

  for(channel: string): ChannelSettings {
    const exact = this.exact.get(channel);
    if (exact) {
      return exact;
    }
    for (const pattern of this.patterns) {
      if (pattern.regex.test(channel)) {
        return pattern.settings;
      }
    }
    return this.defaults;
  }
}
