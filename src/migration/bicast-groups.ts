/** Group ids a migration takes: a pair (towards the old place, towards the new one) for IPv4, and one for IPv6 (migration-planner.ts, IPV6_GROUP_OFFSET). */
export const IDS_PER_MIGRATION = 4;

/**
 * Bicast group ids, by HoA: four consecutive ids each (an IPv4 and an IPv6 pair, each with one
 * towards the VM's old place and one towards its new one), from the migration's range of the
 * pipeline. Held only while a migration is in flight or draining: a VM settled abroad needs
 * none, so the range bounds migrations in flight (12,288 with the pipeline's range), not
 * bindings. Handed out round the range, never the ids just freed (a switch may still hold
 * them for a moment). Pure state.
 */
export class BicastGroups {
  private readonly byHoa = new Map<string, number>();
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(private readonly range: { min: number; max: number }) {
    this.cursor = range.min;
  }

  /** Migrations holding ids now (each a migration in flight, or one whose ids a restart must keep). */
  get used(): number {
    return this.byHoa.size;
  }

  /** The ids of `hoa` (its first), taking some if it has none; undefined when every id is in use. */
  take(hoa: string): number | undefined {
    const have = this.byHoa.get(hoa);
    if (have !== undefined) return have;
    const { min, max } = this.range;
    for (let tried = 0; tried < Math.floor((max - min + 1) / IDS_PER_MIGRATION); tried++) {
      const g = this.cursor;
      this.cursor = g + 2 * IDS_PER_MIGRATION - 1 > max ? min : g + IDS_PER_MIGRATION;
      if (!this.inUse.has(g)) {
        this.hold(hoa, g);
        return g;
      }
    }
    return undefined;
  }

  /** Marks `g` as `hoa`'s (a migration in flight found after a restart). */
  hold(hoa: string, g: number): void {
    this.byHoa.set(hoa, g);
    this.inUse.add(g);
  }

  get(hoa: string): number | undefined {
    return this.byHoa.get(hoa);
  }

  has(hoa: string): boolean {
    return this.byHoa.has(hoa);
  }

  /** Gives `hoa`'s ids back. */
  drop(hoa: string): void {
    const g = this.byHoa.get(hoa);
    if (g === undefined) return;
    this.byHoa.delete(hoa);
    this.inUse.delete(g);
  }
}
