import type { Prefix } from './cidr.js';

/**
 * A file's networks by name that also finds, by binary search over their prefixes kept in
 * address order, the one that contains an address or overlaps a prefix. The loader asks this
 * for every network and every host: a scan each time made 10,000 subnets and 20,000 hosts
 * cost the loader seconds (subnets x hosts). The networks it holds must not overlap (the
 * loader admits one only after `overlapping` found none).
 */
export class PrefixIndex<N extends { prefix: Prefix }> extends Map<string, N> {
  /** [name, network] by their prefix's first address. */
  private sorted: Array<[string, N]> = [];

  override set(name: string, network: N): this {
    const old = super.get(name);
    super.set(name, network);
    // Map's constructor calls set before this class's fields exist.
    if (this.sorted === undefined) return this;
    if (old !== undefined) this.sorted.splice(this.below(old.prefix.first), 1);
    this.sorted.splice(this.below(network.prefix.first), 0, [name, network]);
    return this;
  }

  override delete(name: string): boolean {
    const old = super.get(name);
    if (old !== undefined) this.sorted.splice(this.below(old.prefix.first), 1);
    return super.delete(name);
  }

  override clear(): void {
    this.sorted = [];
    super.clear();
  }

  /** The network (and its name) whose prefix contains `address`, if one does. */
  containing(address: number): [string, N] | undefined {
    const at = this.lastAtOrBelow(address);
    return at !== undefined && at[1].prefix.last >= address ? at : undefined;
  }

  /** A network whose prefix overlaps `p`, if one does. */
  overlapping(p: Prefix): [string, N] | undefined {
    // Without overlaps among them, the one that starts last at or before p's end is the only candidate.
    const at = this.lastAtOrBelow(p.last);
    return at !== undefined && at[1].prefix.last >= p.first ? at : undefined;
  }

  /** The position of the first network starting at or after `first`. */
  private below(first: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]![1].prefix.first < first) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lastAtOrBelow(address: number): [string, N] | undefined {
    const i = this.below(address + 1) - 1;
    return i >= 0 ? this.sorted[i] : undefined;
  }
}
