/**
 * How fast the hosts of one port may change (a host added, moved or given another address):
 * a token bucket per port. A hypervisor port sees a few changes when VMs boot or migrate; a
 * VM that invents MACs and addresses sees thousands a second, and past its bucket its frames
 * are refused before they cost a re-plan, a log line or a database write. The table of ports
 * is bounded: past `maxPorts`, the ports whose buckets are full (idle) are forgotten first.
 */
export class ChurnLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Changes a port may make in a burst. */
    readonly burst = 64,
    /** Changes a second a port earns back. */
    readonly perSecond = 20,
    private readonly maxPorts = 16_384,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `port` may make one more change now (nothing is taken: `take` does that once a change happened). */
  allows(port: string): boolean {
    return this.refill(port) >= 1;
  }

  /** One change happened at `port`. */
  take(port: string): void {
    const tokens = this.refill(port);
    if (!this.buckets.has(port)) this.makeRoom();
    this.buckets.set(port, { tokens: Math.max(0, tokens - 1), at: this.now() });
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(port: string): number {
    const b = this.buckets.get(port);
    if (b === undefined) return this.burst;
    return Math.min(this.burst, b.tokens + ((this.now() - b.at) / 1000) * this.perSecond);
  }

  private makeRoom(): void {
    if (this.buckets.size < this.maxPorts) return;
    for (const key of this.buckets.keys()) if (this.refill(key) >= this.burst) this.buckets.delete(key);
    // Every port is busy: the oldest entries go (a bucket forgotten only lets its port start again from a full burst).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxPorts) break;
      this.buckets.delete(key);
    }
  }
}
