import { channelTag } from './channel-id.js';

/**
 * Where the transport keeps things in Redis, for one key prefix.
 *
 * On one server (the layout since 1.0): a channel C's Stream (also its
 * Pub/Sub topic) is `<prefix>C`, its watch mark `<prefix>C\0watched`, its
 * presence hashes `<prefix>presence:C:i|n|a`, and the sequence across
 * channels one hash, `<prefix>\0seq`.
 *
 * On a Redis Cluster every key of a channel carries the channel's hash tag
 * — 5 base-36 characters of a hash of its name — right after the prefix:
 * `<prefix>{t}C`, `<prefix>{t}C\0watched`, `<prefix>presence:{t}C:i`, and
 * the channel's own sequence `<prefix>{t}C\0seq`; so every script touches
 * one slot, and channels spread over the shards. (A prefix that has a
 * `{…}` of its own puts everything in its one slot.)
 *
 * The instances' presence registry (`presence-instances`, `presence-of:I`,
 * `presence-lease:I`) and the control topic are never used in a script with
 * a channel's keys.
 */
export class RedisKeys {
  /** The topic of control messages (a NUL in it: no channel name has one). */
  readonly control: string;
  readonly instances: string;

  constructor(
    readonly prefix: string,
    readonly cluster: boolean,
  ) {
    this.control = `${prefix}\0control`;
    this.instances = `${prefix}presence-instances`;
  }

  /** The channel's Stream: also the name of its Pub/Sub topic. */
  stream(channel: string): string {
    return this.cluster ? `${this.prefix}{${channelTag(channel)}}${channel}` : this.prefix + channel;
  }

  /** The channel a Pub/Sub topic is of, or `undefined` when it is none of this prefix's. */
  channelOf(topic: string): string | undefined {
    if (!topic.startsWith(this.prefix)) {
      return undefined;
    }
    if (!this.cluster) {
      return topic.slice(this.prefix.length);
    }
    const tagged = this.prefix.length + 7; // `{` + 5 + `}`
    return topic.charCodeAt(this.prefix.length) === 0x7b && topic.charCodeAt(tagged - 1) === 0x7d ? topic.slice(tagged) : undefined;
  }

  /** The sequence the channel's events are numbered in: across channels on one server, the channel's own on a cluster. */
  sequence(channel: string): string {
    return this.scriptKeys(channel)[1];
  }

  /** The channel's watch mark (see WATCH_SCRIPT). */
  watchMark(channel: string): string {
    return this.scriptKeys(channel)[2];
  }

  /** What the publish and sequence scripts take of a channel: its Stream, its sequence and its watch mark (the Stream's key worked out once). */
  scriptKeys(channel: string): [string, string, string] {
    const stream = this.stream(channel);
    return [stream, this.cluster ? `${stream}\0seq` : `${this.prefix}\0seq`, `${stream}\0watched`];
  }

  /** The base of the channel's presence hashes (`:i`, `:n`, `:a` follow). */
  presence(channel: string): string {
    return this.cluster ? `${this.prefix}presence:{${channelTag(channel)}}${channel}` : `${this.prefix}presence:${channel}`;
  }

  /** The set of channels an instance has presence on. */
  channelsOf(instance: string): string {
    return `${this.prefix}presence-of:${instance}`;
  }

  /** An instance's lease: it is alive while the key exists. */
  lease(instance: string): string {
    return `${this.prefix}presence-lease:${instance}`;
  }
}
