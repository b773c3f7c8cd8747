/**
 * Failed requests (4xx) one client address may make at full speed: a burst, then a steady
 * rate; past it each failure is answered `delayMs` late. A client whose requests keep
 * failing (a scanner, a brute-forced token, a web page's forged requests in a loop) is
 * slowed to what it costs to answer it, and never takes the event loop from the switches;
 * its well-formed requests are answered at once. At most `clients` addresses are tracked
 * (the oldest forgotten first).
 */
export const FAILURE_BUDGET = { burst: 100, perSecond: 20, delayMs: 250, clients: 4096 };

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits = FAILURE_BUDGET, private readonly now: () => number = Date.now) {}

  /** Records a failed request of `client`; returns how long its answer waits (0 within the budget). */
  fail(client: string): number {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.limits.burst, at: t };
    b.tokens = Math.min(this.limits.burst, b.tokens + ((t - b.at) / 1000) * this.limits.perSecond);
    b.at = t;
    // Most recently failed last: the first in the map is the one to forget.
    this.buckets.delete(client);
    this.buckets.set(client, b);
    if (this.buckets.size > this.limits.clients) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return this.limits.delayMs;
  }

  /** Client addresses tracked now. */
  get tracked(): number {
    return this.buckets.size;
  }
}
