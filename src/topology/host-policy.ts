import { contains, ipToInt, type Prefix } from './cidr.js';
import type { SwitchRef } from './events.js';
import type { Topology } from './model.js';
import { networksOf } from './networks.js';

/**
 * Which addresses a host may claim where it stands. Every frame that reaches the controller
 * was written by a tenant's VM, so an address is learned only if it could be the sender's:
 * never a gateway, never a Care-of Address (the controller hands those out), and only inside
 * a subnet that the host's switch serves. (Without a topology file nothing is declared, and
 * any address is taken as it comes.)
 */
export class HostPolicy {
  private readonly gateways: Set<number>;
  private readonly served = new Map<string, Prefix[]>();
  private readonly coaPools: Array<{ subnet: string; first: number; last: number }>;

  constructor(private readonly topology: Topology | undefined) {
    const networks = topology ? networksOf(topology) : [];
    this.gateways = new Set(networks.map((n) => ipToInt(n.gateway)!));
    for (const n of networks) this.served.set(n.switch, [...(this.served.get(n.switch) ?? []), n.range]);
    this.coaPools = (topology?.subnets ?? []).map((s) => ({ subnet: s.name, first: ipToInt(s.coaPool.first)!, last: ipToInt(s.coaPool.last)! }));
  }

  /** Whether `switchName` is the gateway of some subnet (an access or edge switch, where hosts attach). */
  servesSomeSubnet(switchName: string): boolean {
    return this.served.has(switchName);
  }

  /** Why `ip` may not be learned at `at`, or undefined when it may. */
  refuseAddress(ip: string, at: SwitchRef): string | undefined {
    const n = ipToInt(ip);
    if (n === undefined) return `"${ip}" is not an IPv4 address`;
    if (this.topology === undefined) return undefined;
    if (this.gateways.has(n)) return `${ip} is a gateway address`;
    const pool = this.coaPools.find((p) => n >= p.first && n <= p.last);
    if (pool !== undefined) return `${ip} is in the Care-of Address pool of ${pool.subnet}: handed out by the controller, never learned`;
    const ranges = this.served.get(at.switch) ?? [];
    if (!ranges.some((r) => contains(r, n))) return `${ip} is outside the subnets of ${at.switch}`;
    return undefined;
  }
}
