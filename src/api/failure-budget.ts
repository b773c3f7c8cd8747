import { ClientBuckets } from './client-buckets.js';

/**
 * Failed requests (4xx) one client address may make at full speed: a burst, then a steady
 * rate; past it each failure is answered `delayMs` late. A client whose requests keep
 * failing (a scanner, a brute-forced token, a web page's forged requests in a loop) is
 * slowed to what it costs to answer it, and never takes the event loop from the switches;
 * its well-formed requests are answered at once. At most `clients` addresses are tracked
 * (the oldest forgotten first).
 */
export const FAILURE_BUDGET = { burst: 100, perSecond: 20, delayMs: 250, clients: 4096 };

export class FailureBudget {
  private readonly buckets: ClientBuckets;

  constructor(private readonly limits = FAILURE_BUDGET, now: () => number = Date.now) {
    this.buckets = new ClientBuckets(limits, now);
  }

  /** Records a failed request of `client`; returns how long its answer waits (0 within the budget). */
  fail(client: string): number {
    const b = this.buckets.refill(client);
    if (b.tokens < 1) return this.limits.delayMs;
    b.tokens -= 1;
    return 0;
  }

  /** Client addresses tracked now. */
  get tracked(): number {
    return this.buckets.tracked;
  }
}
