/**
 * Items sorted once by address, each range then asked by binary search: checking a pool per
 * subnet against every host costs (subnets + hosts) x log(hosts), not subnets x hosts (10,000
 * subnets and 20,000 hosts took the loader 30 s).
 */
export class SortedAddresses<A extends number | bigint, T> {
  private readonly sorted: ReadonlyArray<{ at: A; item: T }>;

  constructor(items: Iterable<T>, addressOf: (item: T) => A | undefined) {
    const out: Array<{ at: A; item: T }> = [];
    for (const item of items) {
      const at = addressOf(item);
      if (at !== undefined) out.push({ at, item });
    }
    this.sorted = out.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
  }

  /** The items whose address is in [first, last], lowest address first. */
  within(first: A, last: A): T[] {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.at < first) lo = mid + 1;
      else hi = mid;
    }
    const out: T[] = [];
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.at <= last; i++) out.push(this.sorted[i]!.item);
    return out;
  }
}
