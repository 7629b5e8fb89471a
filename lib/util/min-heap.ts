/** A binary min-heap ordered by `key`. */
export class MinHeap<T extends { readonly key: number }> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].key <= item.key) {
        break;
      }
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  /** The item with the smallest key, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the item with the smallest key. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= items.length) {
          break;
        }
        if (child + 1 < items.length && items[child + 1].key < items[child].key) {
          child++;
        }
        if (items[child].key >= last.key) {
          break;
        }
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}
