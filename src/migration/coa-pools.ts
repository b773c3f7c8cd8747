import { intToIp, ipToInt } from '../topology/cidr.js';
import type { SubnetSpec } from '../topology/model.js';

/**
 * How long a released CoA rests before it is handed out again. Packets addressed to it may
 * still cross the fabric for a moment after its VM left (in flight, or from a switch whose
 * rewrite a barrier has not yet confirmed); a VM given it at once would receive them, and a
 * rollback's CoA reused at once makes logs and traces ambiguous. Thirty seconds is far longer
 * than any packet stays in a datacenter.
 */
export const COA_REST_MS = 30_000;

/**
 * Care-of Addresses: each subnet's `coa_pool` (from the topology file) hands out addresses
 * to VMs that migrate into it. A CoA is never held by two VMs; a VM that asks again in the
 * same subnet gets the one it holds; a released one rests `restMs` first; addresses come
 * lowest first, so the same history gives the same CoAs (reproducible tests and traces). Pure
 * state, bounded by the pools' sizes.
 */
export class CoaPools {
  /** Each subnet's range, which HoA holds each CoA (as a number) of it, and until when each released one rests. */
  private readonly pools = new Map<string, { first: number; last: number; held: Map<number, string>; resting: Map<number, number> }>();

  constructor(
    subnets: readonly SubnetSpec[],
    private readonly restMs = COA_REST_MS,
    private readonly now: () => number = Date.now,
  ) {
    for (const s of subnets) this.pools.set(s.name, { first: ipToInt(s.coaPool.first)!, last: ipToInt(s.coaPool.last)!, held: new Map(), resting: new Map() });
  }

  /** A CoA of `subnet` for the VM whose home address is `hoa`; why not, as a string, when none can be had. */
  allocate(subnet: string, hoa: string): { coa: string } | { error: string } {
    const pool = this.pools.get(subnet);
    if (!pool) return { error: `no subnet named "${subnet}"` };
    const held = pool.held;
    for (const [coa, owner] of held) if (owner === hoa) return { coa: intToIp(coa) };
    const now = this.now();
    for (const [coa, until] of pool.resting) if (until <= now) pool.resting.delete(coa);
    for (let n = pool.first; n <= pool.last; n++) {
      if (!held.has(n) && !pool.resting.has(n)) {
        held.set(n, hoa);
        return { coa: intToIp(n) };
      }
    }
    const resting = pool.resting.size === 0 ? '' : `; ${pool.resting.size} released in the last ${this.restMs / 1000} s rest before reuse`;
    return { error: `the CoA pool of ${subnet} (${intToIp(pool.first)}-${intToIp(pool.last)}) is exhausted${resting}` };
  }

  /** Whether `coa` is an address of `subnet`'s pool. */
  inPool(subnet: string, coa: string): boolean {
    const pool = this.pools.get(subnet);
    const n = ipToInt(coa);
    return pool !== undefined && n !== undefined && n >= pool.first && n <= pool.last;
  }

  /** Marks `coa` as held by `hoa` (a binding found after a restart); false if it is outside the pool or another VM's. */
  claim(subnet: string, coa: string, hoa: string): boolean {
    if (!this.inPool(subnet, coa)) return false;
    const pool = this.pools.get(subnet)!;
    const n = ipToInt(coa)!;
    const owner = pool.held.get(n);
    if (owner !== undefined && owner !== hoa) return false;
    pool.held.set(n, hoa);
    return true;
  }

  /**
   * Gives a CoA back (the VM moved on, went home, or its binding was deleted): it rests before
   * reuse, unless `used` is false (taken for a request that was refused before any switch saw
   * it). False if `hoa` did not hold it.
   */
  release(subnet: string, coa: string, hoa: string, used = true): boolean {
    const held = this.pools.get(subnet)?.held;
    const n = ipToInt(coa) ?? -1;
    if (held?.get(n) !== hoa) return false;
    held.delete(n);
    if (used && this.restMs > 0) this.pools.get(subnet)!.resting.set(n, this.now() + this.restMs);
    return true;
  }

  /** Until when a released `coa` of `subnet` rests (epoch ms), if it does now. */
  restingUntil(subnet: string, coa: string): number | undefined {
    const until = this.pools.get(subnet)?.resting.get(ipToInt(coa) ?? -1);
    return until !== undefined && until > this.now() ? until : undefined;
  }

  /**
   * `coa` rests until `until` (a rest saved before a restart, or by the leader before this
   * member took over); nothing if that time has passed, or the CoA is held or outside the pool.
   */
  rest(subnet: string, coa: string, until: number): void {
    if (!this.inPool(subnet, coa) || until <= this.now()) return;
    const pool = this.pools.get(subnet)!;
    const n = ipToInt(coa)!;
    if (!pool.held.has(n)) pool.resting.set(n, until);
  }

  /** The HoA that holds `coa` in `subnet`, if any. */
  holder(subnet: string, coa: string): string | undefined {
    return this.pools.get(subnet)?.held.get(ipToInt(coa) ?? -1);
  }

  /** Each subnet's pool: its size, and how many of it are held. */
  use(): Array<{ subnet: string; size: number; held: number }> {
    return [...this.pools].map(([subnet, p]) => ({ subnet, size: p.last - p.first + 1, held: p.held.size }));
  }

  /** Addresses still free in `subnet`'s pool. */
  free(subnet: string): number {
    const pool = this.pools.get(subnet);
    return pool ? pool.last - pool.first + 1 - pool.held.size : 0;
  }
}
