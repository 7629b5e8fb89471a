import { withEventName } from '../wire/encoder.js';
import type { SseConnection } from './connection.js';
import type { ChannelEvent } from './history.js';

/**
 * A channel's live clients, grouped by their route's event name ('' for
 * none): a turn's events are encoded once per group and written to each of
 * its clients in one write, the same bytes for all of them.
 */
export class LiveClients {
  private readonly groups = new Map<string, Set<SseConnection>>();

  get isEmpty(): boolean {
    return this.groups.size === 0;
  }

  add(connection: SseConnection): void {
    let group = this.groups.get(connection.eventName);
    if (!group) {
      group = new Set();
      this.groups.set(connection.eventName, group);
    }
    group.add(connection);
  }

  /** @returns whether it was here */
  delete(connection: SseConnection): boolean {
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
  all(): SseConnection[] {
    return [...this.groups.values()].flatMap((group) => [...group]);
  }

  /** Writes the events to every client, encoded once per event name in use. */
  deliver(events: readonly ChannelEvent[]): void {
    for (const [eventName, group] of this.groups) {
      let text = '';
      for (const entry of events) {
        text += withEventName(entry.event ?? eventName, entry.body);
      }
      const bytes = Buffer.from(text, 'utf8');
      for (const connection of group) {
        connection.write(bytes);
      }
    }
  }
}
