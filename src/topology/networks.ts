import { contains, ipToInt, netmask, parsePrefix, type Prefix } from './cidr.js';
import { bigToIp6, contains6, ip6ToBig, parsePrefix6, type Prefix6 } from './cidr6.js';
import type { Topology } from './model.js';

/** A network's IPv6 side, as routing sees it. */
export interface Network6 {
  prefix: string;
  range: Prefix6;
  gateway: string;
}

/** A subnet or an external network, as routing sees it: a prefix, its gateway and the switch that serves it. */
export interface Network {
  name: string;
  prefix: string;
  range: Prefix;
  gateway: string;
  switch: string;
  external: boolean;
  /** Its IPv6 prefix and gateway, when it is dual-stack. */
  ipv6?: Network6;
}

export function networksOf(t: Topology): Network[] {
  return [
    ...t.subnets.map((s) => ({ name: s.name, prefix: s.prefix, gateway: s.gateway, switch: s.switch, external: false, side: s.ipv6 })),
    ...t.externals.map((e) => ({ name: e.name, prefix: e.prefix, gateway: e.gateway, switch: e.switch, external: true, side: e.ipv6 })),
  ].map(({ side, ...n }) => ({
    ...n,
    range: parsePrefix(n.prefix) as Prefix,
    ...(side ? { ipv6: { prefix: side.prefix, gateway: side.gateway, range: parsePrefix6(side.prefix) as Prefix6 } } : {}),
  }));
}

export function networkOf(networks: readonly Network[], ip: string): Network | undefined {
  const n = ipToInt(ip);
  return n === undefined ? undefined : networks.find((net) => contains(net.range, n));
}

/** The network whose IPv6 prefix holds `ip6`. */
export function networkOf6(networks: readonly Network[], ip6: string): Network | undefined {
  const n = ip6ToBig(ip6);
  return n === undefined ? undefined : networks.find((net) => net.ipv6 !== undefined && contains6(net.ipv6.range, n));
}

/** Dotted netmask form used by OXM masks: 10.0.1.0/24 -> { value: 10.0.1.0, mask: 255.255.255.0 }. */
export function prefixMatch(net: Network): { value: string; mask: string } {
  return { value: net.prefix.split('/')[0]!, mask: netmask(net.range.length) };
}

/** The same for an IPv6 prefix: 2001:db8:0:1::/64 -> { value: 2001:db8:0:1::, mask: ffff:ffff:ffff:ffff:: }. */
export function prefixMatch6(side: Network6): { value: string; mask: string } {
  const all = (1n << 128n) - 1n;
  return { value: bigToIp6(side.range.first), mask: bigToIp6(all ^ ((1n << BigInt(128 - side.range.length)) - 1n)) };
}
