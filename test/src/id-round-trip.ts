import type { SseBroadcaster } from '../../lib/index.js';
import { until } from './until.js';

/**
 * Every kind of id the rule accepts (printable ASCII, no leading or trailing
 * space): each printable character alone, inner spaces, all of them in one id,
 * and a long one.
 */
export const ACCEPTED_IDS: string[] = (() => {
  const printable = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));
  const all = printable.join('');
  return [...printable, 'a b', 'a  b', `${all.slice(0, 40)} ${all.slice(40)}`, `x${'-yz'.repeat(170)}`];
})();

/** One event as the client saw it. */
export interface SeenEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** What the driver needs of the clients, one per worker, each on channel `${prefix}${worker}`. */
export interface RoundTripClients {
  /** Resolves once worker `w`'s client has received an event with this data. */
  waitFor(worker: number, data: string): Promise<void>;
  /** Everything worker `w`'s client received. */
  events(worker: number): Promise<SeenEvent[]>;
}

/**
 * For each id: its client gets an event with that id, the server ends the
 * stream, publishes the next event while the client is away, and the client's
 * reconnect (with `Last-Event-ID: <id>`) must replay exactly that event.
 */
export async function roundTripIds(
  broadcaster: SseBroadcaster,
  clients: RoundTripClients,
  { workers, prefix }: { workers: number; prefix: string },
): Promise<void> {
  const work = Array.from({ length: workers }, (_, w) => ACCEPTED_IDS.filter((_, i) => i % workers === w));
  await Promise.all(
    work.map(async (ids, w) => {
      const channel = `${prefix}${w}`;
      for (const id of ids) {
        await until(() => broadcaster.clientCount(channel) === 1, `the client of ${channel} to (re)connect`, 10_000);
        await broadcaster.publish(channel, `first ${id}`, { id });
        await clients.waitFor(w, `first ${id}`);
        broadcaster.close(channel);
        broadcaster.publish(channel, `after ${id}`); // the client is away: only replay can bring it
        await clients.waitFor(w, `after ${id}`);
      }
    }),
  );
  for (const [w, ids] of work.entries()) {
    const seen = await clients.events(w);
    const expected = ids.flatMap((id) => [
      { type: 'message', data: `first ${id}`, lastEventId: id },
      { type: 'message', data: `after ${id}`, lastEventId: expect.stringMatching(/^[0-9a-z]+-\d+$/) },
    ]);
    expect(seen).toEqual(expected);
    expect(broadcaster.stats()[`${prefix}${w}`]).toMatchObject({ resets: 0, replayed: ids.length });
  }
}
