import { intToIp, ipToInt } from '../topology/cidr.js';
import type { SubnetSpec } from '../topology/model.js';

/**
 * Care-of Addresses: each subnet's `coa_pool` (from the topology file) hands out addresses
 * to VMs that migrate into it. A CoA is never held by two VMs; a VM that asks again in the
 * same subnet gets the one it holds; addresses come lowest first, so the same history gives
 * the same CoAs (reproducible tests and traces). Pure state, bounded by the pools' sizes.
 */
export class CoaPools {
  /** Each subnet's range, and which HoA holds each CoA (as a number) of it. */
  private readonly pools = new Map<string, { first: number; last: number; held: Map<number, string> }>();

  constructor(subnets: readonly SubnetSpec[]) {
    for (const s of subnets) this.pools.set(s.name, { first: ipToInt(s.coaPool.first)!, last: ipToInt(s.coaPool.last)!, held: new Map() });
  }

  /** A CoA of `subnet` for the VM whose home address is `hoa`; why not, as a string, when none can be had. */
  allocate(subnet: string, hoa: string): { coa: string } | { error: string } {
    const pool = this.pools.get(subnet);
    if (!pool) return { error: `no subnet named "${subnet}"` };
    const held = pool.held;
    for (const [coa, owner] of held) if (owner === hoa) return { coa: intToIp(coa) };
    for (let n = pool.first; n <= pool.last; n++) {
      if (!held.has(n)) {
        held.set(n, hoa);
        return { coa: intToIp(n) };
      }
    }
    return { error: `the CoA pool of ${subnet} (${intToIp(pool.first)}-${intToIp(pool.last)}) is exhausted` };
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

  /** Gives a CoA back (the VM moved on, went home, or its binding was deleted). False if `hoa` did not hold it. */
  release(subnet: string, coa: string, hoa: string): boolean {
    const held = this.pools.get(subnet)?.held;
    const n = ipToInt(coa) ?? -1;
    if (held?.get(n) !== hoa) return false;
    held.delete(n);
    return true;
  }

  /** The HoA that holds `coa` in `subnet`, if any. */
  holder(subnet: string, coa: string): string | undefined {
    return this.pools.get(subnet)?.held.get(ipToInt(coa) ?? -1);
  }

  /** Addresses still free in `subnet`'s pool. */
  free(subnet: string): number {
    const pool = this.pools.get(subnet);
    return pool ? pool.last - pool.first + 1 - pool.held.size : 0;
  }
}
