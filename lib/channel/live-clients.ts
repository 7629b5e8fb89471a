import { withEventName } from '../wire/encoder.js';
import type { ChannelCounter } from '../model/meters.js';
import type { ChannelMember } from './channel.interfaces.js';
import { isFor } from '../model/audience.js';
import type { ChannelEvent } from '../feed/history.js';

/** What a stream of one identity gets of a turn's events: their frames, and how many. */
interface IdentityFrames {
  readonly bytes: Buffer | undefined;
  readonly frames: number;
}

/** The frames of `events` that a stream of `identity` gets, under the route's event name. */
function framesFor(events: readonly ChannelEvent[], eventName: string, identity: string | undefined): IdentityFrames {
  let text = '';
  let frames = 0;
  for (const entry of events) {
    if (isFor(entry.audience, identity)) {
      text += withEventName(entry.event ?? eventName, entry.body);
      frames++;
    }
  }
  return { bytes: text === '' ? undefined : Buffer.from(text, 'utf8'), frames };
}

/**
 * A channel's live clients, grouped by their route's event name ('' for
 * none): a turn's events are encoded once per group and written to each of
 * its clients in one write, the same bytes for all of them.
 */
export class LiveClients {
  private readonly groups = new Map<string, Set<ChannelMember>>();

  get isEmpty(): boolean {
    return this.groups.size === 0;
  }

  add(connection: ChannelMember): void {
    let group = this.groups.get(connection.eventName);
    if (!group) {
      group = new Set();
      this.groups.set(connection.eventName, group);
    }
    group.add(connection);
  }

  /** @returns whether it was here */
  delete(connection: ChannelMember): boolean {
    const group = this.groups.get(connection.eventName);
    if (!group?.delete(connection)) {
      return false;
    }
    if (group.size === 0) {
      this.groups.delete(connection.eventName);
    }
    return true;
  }

  /** Every live client (a copy: ending them changes the groups). */
  all(): ChannelMember[] {
    return [...this.groups.values()].flatMap((group) => [...group]);
  }

  /**
   * Writes the events to every client, encoded once per event name in use —
   * and, when some are for certain identities only, once per identity in the
   * group (`to` / `except`). With metrics, the frames written are counted
   * per group (per identity when targeted), never per client. After the
   * channel's `end` event, their responses end.
   */
  deliver(events: readonly ChannelEvent[], meter?: ChannelCounter, end?: ChannelEvent): void {
    const targeted = events.some((entry) => entry.audience !== undefined);
    let frames = 0;
    for (const [eventName, group] of this.groups) {
      if (!targeted) {
        const { bytes } = framesFor(events, eventName, undefined);
        let written = 0;
        for (const connection of group) {
          if (connection.write(bytes!)) written++;
        }
        frames += written * events.length;
        continue;
      }
      const byIdentity = new Map<string | undefined, IdentityFrames>();
      for (const connection of group) {
        let got = byIdentity.get(connection.identity);
        if (!got) {
          got = framesFor(events, eventName, connection.identity);
          byIdentity.set(connection.identity, got);
        }
        if (got.bytes && connection.write(got.bytes)) {
          frames += got.frames;
        }
      }
    }
    meter?.delivered(frames);
    if (end !== undefined && events.includes(end)) {
      for (const connection of this.all()) {
        connection.end(undefined, 'ended');
      }
    }
  }
}
