/**
 * Bicast group ids, by HoA: two consecutive ids each (one towards the VM's old place, one
 * towards its new one), from the migration's range of the pipeline. Held only while a
 * migration is in flight or draining: a VM settled abroad needs none, so the range bounds
 * migrations in flight (24,576 with the pipeline's range), not bindings. Handed out round the
 * range, never the pair just freed (a switch may still hold it for a moment). Pure state.
 */
export class BicastGroups {
  private readonly byHoa = new Map<string, number>();
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(private readonly range: { min: number; max: number }) {
    this.cursor = range.min;
  }

  /** Pairs held now (each a migration in flight, or one whose ids a restart must keep). */
  get used(): number {
    return this.byHoa.size;
  }

  /** The pair of `hoa` (its first id), taking one if it has none; undefined when every pair is in use. */
  take(hoa: string): number | undefined {
    const have = this.byHoa.get(hoa);
    if (have !== undefined) return have;
    const { min, max } = this.range;
    for (let tried = 0; tried < (max - min + 1) >> 1; tried++) {
      const g = this.cursor;
      this.cursor = g + 3 > max ? min : g + 2;
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

  /** Gives `hoa`'s pair back. */
  drop(hoa: string): void {
    const g = this.byHoa.get(hoa);
    if (g === undefined) return;
    this.byHoa.delete(hoa);
    this.inUse.delete(g);
  }
}
