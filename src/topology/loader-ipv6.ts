import { SortedAddresses } from './sorted-addresses.js';
import { ipToInt } from './cidr.js';
import { bigToIp6, contains6, ip6ToBig, notRoutable6, parsePrefix6, type Prefix6 } from './cidr6.js';
import type { HostSpec, Ipv6Side, SubnetSpec } from './model.js';

/**
 * The loader's checks of a network's IPv6 side and a host's IPv6 address (issue 25): the
 * same rules as for IPv4 (no overlaps, gateway and pool inside their prefix, no address
 * used twice), plus IPv6's own (global unicast or unique local only, never the
 * Subnet-Router anycast address). Problems are reported through the loader's validator, at
 * the field they concern.
 */

export type Path = Array<string | number>;

/** What these checks need of the validator: its field reader and its error list. */
export interface FieldReporter {
  fail(path: Path, why: string): void;
  str(obj: Record<string, unknown>, path: Path, key: string): string | undefined;
  fieldName(path: Path): string;
}

/** Shorter prefixes would swallow other networks; longer ones leave no room for hosts. */
const MIN_PREFIX6 = 16;
const MAX_PREFIX6 = 124;

/** A network's IPv6 side as far as it validated, with where it is declared. */
export interface Network6 {
  name: string;
  prefix: Prefix6;
  gateway: bigint | undefined;
  path: Path;
}

export class Ipv6Checks {
  /** Every IPv6 prefix declared so far, subnets and external networks alike: none may overlap. */
  readonly networks = new Map<string, Network6>();

  constructor(private readonly v: FieldReporter) {}

  /**
   * `prefix6` and `gateway6` of a subnet or external network: both or neither. Returns the
   * side when both are valid; the network is registered for its hosts as soon as its
   * prefix is, so one bad gateway does not cascade into every host's address.
   */
  side(name: string | undefined, n: Record<string, unknown>, path: Path): Ipv6Side | undefined {
    if (n.prefix6 === undefined && n.gateway6 === undefined) return undefined;
    const prefix = this.prefix(n, path);
    const gateway = this.address(n, path, 'gateway6', prefix, 'its prefix6');
    if (prefix && name && !this.networks.has(name)) this.networks.set(name, { name, prefix, gateway, path });
    if (!prefix || gateway === undefined) return undefined;
    return { prefix: prefix.text, gateway: bigToIp6(gateway) };
  }

  /** A subnet's `coa_pool6`, required with its IPv6 side: a range inside prefix6 that spares the gateway. */
  pool(n: Record<string, unknown>, path: Path, side: Ipv6Side | undefined): SubnetSpec['coaPool'] | undefined {
    if (n.prefix6 === undefined && n.gateway6 === undefined) {
      if (n.coa_pool6 !== undefined) this.v.fail([...path, 'coa_pool6'], 'needs prefix6 and gateway6');
      return undefined;
    }
    const text = this.v.str(n, path, 'coa_pool6');
    if (text === undefined || side === undefined) return undefined;
    const at = [...path, 'coa_pool6'];
    const [first, last, ...rest] = text.split('-').map((x) => x.trim());
    const a = ip6ToBig(first ?? '');
    const b = ip6ToBig(last ?? '');
    if (a === undefined || b === undefined || rest.length > 0) return void this.v.fail(at, `"${text}" is not a range of IPv6 addresses such as 2001:db8:0:1::200-2001:db8:0:1::250`);
    const prefix = parsePrefix6(side.prefix) as Prefix6;
    if (a > b) return void this.v.fail(at, `range ${text} ends before it starts`);
    if (!contains6(prefix, a) || !contains6(prefix, b)) return void this.v.fail(at, `range ${text} is not inside ${side.prefix}`);
    if (a === prefix.first) return void this.v.fail(at, `range ${text} includes ${bigToIp6(a)}, the Subnet-Router anycast address of ${side.prefix}`);
    const gw = ip6ToBig(side.gateway)!;
    if (gw >= a && gw <= b) return void this.v.fail(at, `range ${text} includes the gateway ${side.gateway}`);
    return { first: bigToIp6(a), last: bigToIp6(b) };
  }

  /**
   * A host's `ip6`: inside the IPv6 prefix of the network its IPv4 address is in, and not
   * its gateway. The network is named by the IPv4 address, so a host is in one network.
   */
  host(h: Record<string, unknown>, path: Path, network: string | undefined): string | undefined {
    if (h.ip6 === undefined) return undefined;
    const net = network === undefined ? undefined : this.networks.get(network);
    if (network !== undefined && !net) return void this.v.fail([...path, 'ip6'], `${network} has no prefix6: give it one, or give this host no ip6`);
    const n = this.address(h, path, 'ip6', net?.prefix, `the prefix6 of ${network ?? 'its network'}`);
    if (n === undefined || !net) return undefined;
    if (n === net.gateway) return void this.v.fail([...path, 'ip6'], `${bigToIp6(n)} is the IPv6 gateway of ${net.name}`);
    return bigToIp6(n);
  }

  /**
   * No subnet's IPv6 CoA pool holds a declared host's address, and each holds at least as
   * many addresses as its IPv4 pool: a VM's IPv6 CoA is its IPv4 CoA's twin, the address at the
   * same offset in `coa_pool6` (docs/ipv6.md, "The IPv6 CoA").
   */
  poolsSpareHosts(subnets: SubnetSpec[], hosts: HostSpec[]): void {
    const byAddress = new SortedAddresses(hosts, (h) => (h.ip6 === undefined ? undefined : ip6ToBig(h.ip6)));
    for (const s of subnets) {
      if (!s.ipv6) continue;
      const [first, last] = [ip6ToBig(s.ipv6.coaPool.first)!, ip6ToBig(s.ipv6.coaPool.last)!];
      const size4 = BigInt(ipToInt(s.coaPool.last)! - ipToInt(s.coaPool.first)! + 1);
      if (last - first + 1n < size4) {
        this.v.fail([...this.networks.get(s.name)!.path, 'coa_pool6'], `range ${s.ipv6.coaPool.first}-${s.ipv6.coaPool.last} holds ${last - first + 1n} addresses, fewer than coa_pool's ${size4}: every IPv4 CoA needs its IPv6 twin`);
      }
      for (const h of byAddress.within(first, last)) this.v.fail([...this.networks.get(s.name)!.path, 'coa_pool6'], `range ${s.ipv6.coaPool.first}-${s.ipv6.coaPool.last} includes host ${h.name} (${h.ip6})`);
    }
  }

  private prefix(n: Record<string, unknown>, path: Path): Prefix6 | undefined {
    const text = this.v.str(n, path, 'prefix6');
    if (text === undefined) return undefined;
    const at = [...path, 'prefix6'];
    const p = parsePrefix6(text);
    if (typeof p === 'string') return void this.v.fail(at, p);
    if (p.length < MIN_PREFIX6) return void this.v.fail(at, `/${p.length} is shorter than /${MIN_PREFIX6}: it would swallow the datacenter's other networks`);
    if (p.length > MAX_PREFIX6) return void this.v.fail(at, `/${p.length} leaves no room for hosts and a gateway`);
    const kind = notRoutable6(p.first);
    if (kind !== undefined) return void this.v.fail(at, `${p.text} ${kind}`);
    for (const other of this.networks.values()) {
      if (p.first <= other.prefix.last && other.prefix.first <= p.last) return void this.v.fail(at, `${p.text} overlaps ${other.name} (${this.v.fieldName(other.path)})`);
    }
    return p;
  }

  /** An IPv6 address field inside `prefix` (when that is known), other than its Subnet-Router anycast address. */
  private address(o: Record<string, unknown>, path: Path, key: string, prefix: Prefix6 | undefined, inside: string): bigint | undefined {
    const text = this.v.str(o, path, key);
    if (text === undefined) return undefined;
    const at = [...path, key];
    const n = ip6ToBig(text);
    if (n === undefined) return void this.v.fail(at, `"${text}" is not an IPv6 address`);
    const kind = notRoutable6(n);
    if (kind !== undefined) return void this.v.fail(at, `${bigToIp6(n)} ${kind}`);
    if (prefix && !contains6(prefix, n)) return void this.v.fail(at, `${bigToIp6(n)} is outside ${inside} ${prefix.text}`);
    if (prefix && n === prefix.first) return void this.v.fail(at, `${bigToIp6(n)} is the Subnet-Router anycast address of ${prefix.text}`);
    return n;
  }
}
