import { contains, ipToInt, netmask, parsePrefix, type Prefix } from './cidr.js';
import type { Topology } from './model.js';

/** A subnet or an external network, as routing sees it: a prefix, its gateway and the switch that serves it. */
export interface Network {
  name: string;
  prefix: string;
  range: Prefix;
  gateway: string;
  switch: string;
  external: boolean;
}

export function networksOf(t: Topology): Network[] {
  return [
    ...t.subnets.map((s) => ({ name: s.name, prefix: s.prefix, gateway: s.gateway, switch: s.switch, external: false })),
    ...t.externals.map((e) => ({ name: e.name, prefix: e.prefix, gateway: e.gateway, switch: e.switch, external: true })),
  ].map((n) => ({ ...n, range: parsePrefix(n.prefix) as Prefix }));
}

export function networkOf(networks: readonly Network[], ip: string): Network | undefined {
  const n = ipToInt(ip);
  return n === undefined ? undefined : networks.find((net) => contains(net.range, n));
}

/** Dotted netmask form used by OXM masks: 10.0.1.0/24 -> { value: 10.0.1.0, mask: 255.255.255.0 }. */
export function prefixMatch(net: Network): { value: string; mask: string } {
  return { value: net.prefix.split('/')[0]!, mask: netmask(net.range.length) };
}
