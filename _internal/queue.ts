// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * A first-in, first-out queue over an array with a moving head: `shift` is
 * O(1) and the array is compacted once the consumed part is at least half of
 * it, so a queue that keeps filling and draining stays linear in time and
 * bounded in memory. Bounds are the caller's: it checks `length` (or its own
 * byte count) before `push`.
 */
export class Queue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of items waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item`. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      // Drained: reuse the array rather than allocate a new one.
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes every item. */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }

  /** The waiting items, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) {
      yield this.#items[i] as T;
    }
  }
}
