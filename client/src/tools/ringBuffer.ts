/** Fixed-capacity ring buffer: pushing beyond capacity drops the oldest item. Memory stays bounded. */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private start = 0;
  private size = 0;
  /** Items pushed since the last clear (kept or dropped). */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Items pushed out by newer ones since the last clear. */
  get dropped(): number {
    return this.total - this.size;
  }

  push(item: T): void {
    this.total++;
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th kept item, oldest first (undefined out of range). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  /** Kept items, oldest first. */
  toArray(): T[] {
    const out: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items = new Array(this.capacity);
    this.start = 0;
    this.size = 0;
    this.total = 0;
  }
}
