import { ClientBuckets } from './client-buckets.js';

/**
 * Requests one client address may have answered by the controller's thread: a burst, then a
 * steady rate. Past it a request is not refused but waits its turn in the HTTP front (at
 * most the client's 32 connections wait, so at most 32 / `perSecond` seconds), and one whose
 * client closed meanwhile is never passed on. Well-formed reads are what a flood that passes
 * every check is made of (the soak: 1,400 host listings a second); paced, they cost the
 * controller's thread what `perSecond` of them cost, and an operator, a dashboard or a cloud
 * manager never comes near the rate. At most `clients` addresses are tracked.
 */
export const REQUEST_PACE = { burst: 200, perSecond: 100, clients: 4096 };

export class RequestPace {
  private readonly buckets: ClientBuckets;

  constructor(private readonly limits = REQUEST_PACE, now: () => number = Date.now) {
    this.buckets = new ClientBuckets(limits, now);
  }

  /** Takes a turn for `client`; returns how long its request waits for it (0 within the burst). */
  turn(client: string): number {
    const b = this.buckets.refill(client);
    // Turns are taken ahead: a negative balance is the queue of turns already given away.
    b.tokens -= 1;
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / this.limits.perSecond) * 1000);
  }
}
