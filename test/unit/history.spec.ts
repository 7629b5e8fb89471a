import { EventHistory, type ChannelEvent } from '../../lib/feed/history.js';

const event = (id: string, size = 10): ChannelEvent => ({ id, event: undefined, body: 'x'.repeat(size) });

describe('EventHistory', () => {
  it('keeps the last N events and finds the ones after an id', () => {
    const history = new EventHistory(3, Infinity);
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => history.add(event(id)));
    expect(history.length).toBe(3);
    expect(history.after('c')?.map((e) => e.id)).toEqual(['d', 'e']);
    expect(history.after('e')).toEqual([]);
    expect(history.after('b')).toBeUndefined(); // fell out of the window
    expect(history.after('zzz')).toBeUndefined();
    expect(history.after('d')?.map((e) => e.id)).toEqual(['e']);
  });

  it('is bounded in bytes too, keeping at least the newest event', () => {
    const history = new EventHistory(1000, 100);
    for (let i = 0; i < 50; i++) {
      history.add(event(String(i), 30));
    }
    expect(history.length).toBe(3); // 3 × 30 ≤ 100
    history.add(event('huge', 500));
    expect(history.length).toBe(1);
    expect(history.after('huge')).toEqual([]); // the newest is kept, alone
    expect(history.after('49')).toBeUndefined();
  });

  it('keeps nothing with history 0', () => {
    const history = new EventHistory(0, Infinity);
    history.add(event('a'));
    expect(history.length).toBe(0);
    expect(history.after('a')).toBeUndefined();
  });

  it('stays correct across its internal compaction', () => {
    const history = new EventHistory(10, Infinity);
    for (let i = 0; i < 5000; i++) {
      history.add(event(String(i)));
    }
    expect(history.length).toBe(10);
    expect(history.after('4994')?.map((e) => e.id)).toEqual(['4995', '4996', '4997', '4998', '4999']);
  });
});

describe('EventHistory: positions in the sequence across channels', () => {
  const at = (seq: number, size = 10): ChannelEvent => ({ id: `e${seq}`, event: undefined, body: 'x'.repeat(size), seq });

  it('finds the events after a position and remembers the newest it dropped (by count, bytes, clear, or history 0)', () => {
    const history = new EventHistory(3, 35);
    expect(history.droppedSeq).toBe(0);
    expect(history.afterSeq(0)).toEqual([]);
    [2, 5, 7].forEach((seq) => history.add(at(seq)));
    expect(history.afterSeq(0).map((e) => e.seq)).toEqual([2, 5, 7]);
    expect(history.afterSeq(4).map((e) => e.seq)).toEqual([5, 7]);
    expect(history.afterSeq(5).map((e) => e.seq)).toEqual([7]);
    expect(history.afterSeq(7)).toEqual([]);
    history.add(at(9)); // by count: 2 goes
    expect(history.droppedSeq).toBe(2);
    history.add(at(11, 20)); // 5 by count, then 7 by bytes (40 > 35)
    expect(history.droppedSeq).toBe(7);
    expect(history.afterSeq(0).map((e) => e.seq)).toEqual([9, 11]);
    history.clear();
    expect(history.droppedSeq).toBe(11);

    const none = new EventHistory(0, Infinity);
    none.add(at(4));
    expect(none.droppedSeq).toBe(4);
  });
});
