/**
 * A bounded map that evicts the least recently used keys. Recency is refreshed lazily: a key is moved to the young
 * end only when a quarter of the capacity has been inserted since its last move, so hot keys cost a plain lookup
 * while any key used within the last three quarters of the capacity's insertions is never evicted.
 */
export class Lru<V> {
  private readonly map = new Map<string, { value: V; movedAt: number }>();
  private inserted = 0;
  private readonly slack: number;
  constructor(private readonly max: number) {
    this.slack = Math.max(1, Math.floor(max / 4));
  }
  /** Reads without refreshing recency: decisions read many counters per request, and only writes mark use. */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (this.inserted - e.movedAt >= this.slack) {
      this.map.delete(key);
      e.movedAt = this.inserted;
      this.map.set(key, e);
    }
    return e.value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.inserted += 1;
    this.map.set(key, { value, movedAt: this.inserted });
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
  *entries(): IterableIterator<[string, V]> {
    for (const [key, e] of this.map) yield [key, e.value];
  }
}
