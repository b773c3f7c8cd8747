import type { FlowEntry } from '../controller/flow-tables.js';
import { act, type Action } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ipToInt } from '../topology/cidr.js';
import { bigToIp6, ip6ToBig } from '../topology/cidr6.js';
import type { SubnetSpec, Topology } from '../topology/model.js';
import { prefixMatch, prefixMatch6, type Network } from '../topology/networks.js';

type Match = FlowEntry['match'];
type Prefix = { value: string; mask: string };

/**
 * One IP version as the migration's entries see it: the EtherType, and the fields that hold a
 * packet's destination and source. The planner writes each of a VM's NAT entries once and
 * plans it in every family the VM has (docs/ipv6.md, "The migration in IPv6").
 */
export interface AddressFamily {
  readonly name: 'IPv4' | 'IPv6';
  /** Packets of this family to `address` (or a prefix). */
  to(address: string | Prefix): Match;
  /** Packets of this family from `address`. */
  from(address: string): Match;
  setTo(address: string): Action;
  setFrom(address: string): Action;
  /** The network's prefix in this family; undefined for an IPv4-only network in IPv6. */
  prefixOf(n: Network): Prefix | undefined;
}

export const IPV4_FAMILY: AddressFamily = {
  name: 'IPv4',
  to: (address) => ({ eth_type: ETH_TYPE.IPV4, ipv4_dst: address }),
  from: (address) => ({ eth_type: ETH_TYPE.IPV4, ipv4_src: address }),
  setTo: (address) => act.setField('ipv4_dst', address),
  setFrom: (address) => act.setField('ipv4_src', address),
  prefixOf: (n) => prefixMatch(n),
};

export const IPV6_FAMILY: AddressFamily = {
  name: 'IPv6',
  to: (address) => ({ eth_type: ETH_TYPE.IPV6, ipv6_dst: address }),
  from: (address) => ({ eth_type: ETH_TYPE.IPV6, ipv6_src: address }),
  setTo: (address) => act.setField('ipv6_dst', address),
  setFrom: (address) => act.setField('ipv6_src', address),
  prefixOf: (n) => (n.ipv6 ? prefixMatch6(n.ipv6) : undefined),
};

/**
 * The IPv6 CoA of a VM whose IPv4 CoA is `coa`: its twin, the address at the same offset in
 * the subnet's `coa_pool6` (the loader makes every `coa_pool6` at least as large as its
 * `coa_pool`). One allocation, one rest and one stored field serve both families, so an IPv6
 * CoA is never held by two VMs because an IPv4 one never is. Undefined when the subnet has no
 * IPv6 side, or `coa` is in no pool.
 */
export function coaTwin6(subnets: readonly SubnetSpec[], coa: string): string | undefined {
  const n = ipToInt(coa);
  if (n === undefined) return undefined;
  for (const s of subnets) {
    const first = ipToInt(s.coaPool.first)!;
    if (n < first || n > ipToInt(s.coaPool.last)!) continue;
    return s.ipv6 ? bigToIp6(ip6ToBig(s.ipv6.coaPool.first)! + BigInt(n - first)) : undefined;
  }
  return undefined;
}

const ip6ByIp = new WeakMap<Topology, Map<string, string>>();
/**
 * The IPv6 address the topology file declares beside the IPv4 address `hoa`: a VM's IPv6 HoA
 * (hosts make no IPv6 address of their own that the fabric would route: docs/ipv6.md).
 */
export function declaredIp6(topology: Topology, hoa: string): string | undefined {
  let byIp = ip6ByIp.get(topology);
  if (!byIp) {
    byIp = new Map(topology.hosts.flatMap((h) => (h.ip6 === undefined ? [] : [[h.ip, h.ip6] as const])));
    ip6ByIp.set(topology, byIp);
  }
  return byIp.get(hoa);
}
