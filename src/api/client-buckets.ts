/** A token bucket per client address: `burst` tokens, refilled at `perSecond`, for at most `clients` addresses. */
export interface BucketLimits {
  burst: number;
  perSecond: number;
  clients: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The buckets behind the API's failure budget and request pace. At most `clients` addresses
 * are tracked: the one used longest ago is forgotten first (and starts full if it comes back),
 * so a scan from many addresses costs a bounded map.
 */
export class ClientBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: BucketLimits, private readonly now: () => number = Date.now) {}

  /** `client`'s bucket, refilled up to now: its caller takes from `tokens`. */
  refill(client: string): { tokens: number } {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.limits.burst, at: t };
    b.tokens = Math.min(this.limits.burst, b.tokens + ((t - b.at) / 1000) * this.limits.perSecond);
    b.at = t;
    // Most recently used last: the first in the map is the one to forget.
    this.buckets.delete(client);
    this.buckets.set(client, b);
    if (this.buckets.size > this.limits.clients) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }

  /** Client addresses tracked now. */
  get tracked(): number {
    return this.buckets.size;
  }
}
