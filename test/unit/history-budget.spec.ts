import { HistoryBudget } from '../../lib/feed/history-budget.js';
import { EventHistory, type ChannelEvent } from '../../lib/feed/history.js';

const event = (id: string, size = 100): ChannelEvent => ({ id, event: undefined, body: 'x'.repeat(size) });
/** The ids a history still holds, oldest first (read off its private array: the test looks inside). */
const allIds = (history: EventHistory): string[] => {
  const inside = history as unknown as { events: (ChannelEvent | undefined)[] };
  return inside.events.filter((e): e is ChannelEvent => e !== undefined).map((e) => e.id);
};

describe('HistoryBudget', () => {
  it('keeps the total of every history within the bound, dropping the oldest events first across channels', () => {
    const budget = new HistoryBudget(500);
    const [a, b, c] = [1, 2, 3].map(() => new EventHistory(1000, Infinity, budget));
    a.add(event('a1'));
    b.add(event('b1'));
    c.add(event('c1'));
    a.add(event('a2'));
    b.add(event('b2'));
    expect(budget.total).toBe(500);
    c.add(event('c2')); // 600 > 500: a1, the oldest of all, goes
    expect([allIds(a), allIds(b), allIds(c)]).toEqual([['a2'], ['b1', 'b2'], ['c1', 'c2']]);
    c.add(event('c3', 250)); // b1, c1, a2 go, in that order
    expect([allIds(a), allIds(b), allIds(c)]).toEqual([[], ['b2'], ['c2', 'c3']]);
    expect(budget.total).toBe(450);
    expect(budget.evicted).toBe(4);
  });

  it('names the channels whose whole history it took, once per turn, after the add that made room', async () => {
    const budget = new HistoryBudget(300);
    const told: string[][] = [];
    budget.onEmptied = (channels) => told.push([...channels]);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new EventHistory(1000, Infinity, budget, name));
    a.add(event('a1'));
    b.add(event('b1'));
    c.add(event('c1'));
    c.add(event('c2', 150)); // a1 goes (a is empty), then b1 (b is empty)
    expect(told).toEqual([]); // (not during the add)
    await Promise.resolve();
    expect(told).toEqual([['a', 'b']]);
    c.add(event('c3')); // c1 goes: c still holds events, nobody is named
    await Promise.resolve();
    expect(told).toEqual([['a', 'b']]);
  });

  it('takes from channels without clients before channels with clients', () => {
    const budget = new HistoryBudget(400);
    const [busy, idle] = [new EventHistory(1000, Infinity, budget), new EventHistory(1000, Infinity, budget)];
    busy.setActive(true);
    busy.add(event('busy1'));
    busy.add(event('busy2'));
    idle.add(event('idle1'));
    idle.add(event('idle2'));
    busy.add(event('busy3')); // the oldest are busy's, but idle gives first
    expect([allIds(busy), allIds(idle)]).toEqual([['busy1', 'busy2', 'busy3'], ['idle2']]);
    busy.add(event('busy4'));
    expect([allIds(busy), allIds(idle)]).toEqual([['busy1', 'busy2', 'busy3', 'busy4'], []]);
    busy.add(event('busy5')); // nothing idle is left: the oldest of the busy channel goes
    expect(allIds(busy)).toEqual(['busy2', 'busy3', 'busy4', 'busy5']);

    // The channel loses its clients: now it gives first.
    busy.setActive(false);
    idle.setActive(true);
    idle.add(event('idle3'));
    expect([allIds(busy), allIds(idle)]).toEqual([['busy3', 'busy4', 'busy5'], ['idle3']]);
  });

  it('counts what histories drop by their own bounds, and what a dropped channel gives back', () => {
    const budget = new HistoryBudget(10_000);
    const small = new EventHistory(2, Infinity, budget);
    const other = new EventHistory(1000, 250, budget);
    ['s1', 's2', 's3', 's4'].forEach((id) => small.add(event(id)));
    ['o1', 'o2', 'o3'].forEach((id) => other.add(event(id)));
    expect(budget.total).toBe(small.size + other.size);
    expect(budget.total).toBe(400);
    small.clear();
    expect(budget.total).toBe(200);
    expect(budget.evicted).toBe(0);
  });

  it('marks the history as trimmed: a resume from an evicted id is told, one after it resumes exactly', () => {
    const budget = new HistoryBudget(300);
    const history = new EventHistory(1000, Infinity, budget);
    const ordered = (x: string, y: string) => Number(x) - Number(y);
    history.startAfter('0');
    ['1', '2', '3', '4', '5'].forEach((id) => history.add(event(id)));
    expect(allIds(history)).toEqual(['3', '4', '5']);
    expect(history.after('1')).toBeUndefined();
    expect(history.since('1', ordered)).toBeUndefined();
    expect(history.after('3')?.map((e) => e.id)).toEqual(['4', '5']);
    expect(history.since('2', ordered)?.map((e) => e.id)).toEqual(['3', '4', '5']);
  });

  it('stays proportional to the histories that hold events, however often channels change sides', () => {
    const budget = new HistoryBudget(1_000_000);
    const history = new EventHistory(1000, Infinity, budget);
    history.add(event('only'));
    for (let i = 0; i < 10_000; i++) {
      history.setActive(i % 2 === 0);
    }
    const heaps = budget as unknown as { idle: { size: number }; active: { size: number } };
    expect(heaps.idle.size + heaps.active.size).toBeLessThanOrEqual(2 + 64);
  });

  it('with limit 0 counts the total but drops nothing', () => {
    const budget = new HistoryBudget(0);
    const history = new EventHistory(1000, Infinity, budget);
    for (let i = 0; i < 100; i++) {
      history.add(event(String(i)));
    }
    expect(budget.total).toBe(10_000);
    expect(history.length).toBe(100);
  });
});
