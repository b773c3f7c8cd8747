/**
 * The datacenter as declared in a topology file (topologies/*.yaml), after validation.
 * The controller and the Mininet scripts both read it through loader.ts.
 */
export const TIERS = ['core', 'aggregation', 'access', 'edge'] as const;
export type Tier = (typeof TIERS)[number];

export interface SwitchSpec {
  name: string;
  tier: Tier;
  /** 16 lower-case hex digits, as the controller shows datapath ids. */
  dpid: string;
  /** The most entries (flows and groups) svcswitch may plan on it; none: no limit (docs/topology.md). */
  tableBudget?: number;
}

/** A table budget's bounds: below the fabric's own entries of a small switch nothing fits; above, no switch is that large. */
export const MIN_TABLE_BUDGET = 64;
export const MAX_TABLE_BUDGET = 10_000_000;

export interface PortRef {
  switch: string;
  port: number;
}

export interface LinkSpec {
  a: PortRef;
  b: PortRef;
}

interface AddressRange {
  first: string;
  last: string;
}

/**
 * A network's IPv6 side (issue 25): its prefix, its gateway's global address and, for a
 * subnet, the Care-of Addresses it lends. Addresses in RFC 5952 text. A network without it
 * is IPv4 only; there are no IPv6-only networks yet (docs/ipv6.md).
 */
export interface Ipv6Side {
  /** "2001:db8:0:1::/64" */
  prefix: string;
  gateway: string;
}

export interface SubnetSpec {
  name: string;
  /** "10.0.1.0/24" */
  prefix: string;
  gateway: string;
  /** The access switch that serves the subnet: its service switch and default gateway. */
  switch: string;
  /** Addresses of this subnet kept for Care-of Addresses of VMs that migrate here. */
  coaPool: AddressRange;
  ipv6?: Ipv6Side & { coaPool: AddressRange };
}

export interface ExternalSpec {
  name: string;
  prefix: string;
  gateway: string;
  /** The edge switch through which the network is reached. */
  switch: string;
  ipv6?: Ipv6Side;
}

/**
 * A server with a bridge of its own (a hypervisor), plugged into one access switch port:
 * the VMs behind it share that port. Their host entries are per VM (MAC and address), so
 * the switch tells them apart; a VM that leaves is judged by whether it still answers there,
 * never by the port going down (its neighbours keep it up).
 */
export interface HypervisorSpec {
  name: string;
  switch: string;
  port: number;
}

export interface HostSpec {
  name: string;
  mac: string;
  ip: string;
  /** Its IPv6 address (RFC 5952 text), in its network's IPv6 prefix, when it has one. */
  ip6?: string;
  switch: string;
  port: number;
  /** The hypervisor it is behind (its switch and port are the hypervisor's), if it shares a port. */
  hypervisor?: string;
  /** The subnet or external network the host belongs to. */
  network: string;
  external: boolean;
}

export interface Topology {
  name: string;
  /** The file it came from, for messages. */
  source: string;
  switches: SwitchSpec[];
  links: LinkSpec[];
  subnets: SubnetSpec[];
  externals: ExternalSpec[];
  hypervisors: HypervisorSpec[];
  hosts: HostSpec[];
}

export const portKey = (p: PortRef): string => `${p.switch}:${p.port}`;

/** Whether any network of the file has an IPv6 side: an IPv4-only datacenter's tables have nothing of IPv6. */
export const hasIpv6 = (t: Topology): boolean => t.subnets.some((s) => s.ipv6 !== undefined) || t.externals.some((e) => e.ipv6 !== undefined);

const linkPortsCache = new WeakMap<Topology, ReadonlyMap<string, readonly number[]>>();

/**
 * The ports of switch `name` that the file declares as links. Indexed once per topology (a
 * loaded topology never changes): the migration planner asks for every binding it plans, and
 * a scan of every link each time made a cold start with 100k bindings take minutes.
 */
export function linkPortsOf(t: Topology, name: string): readonly number[] {
  let bySwitch = linkPortsCache.get(t);
  if (!bySwitch) {
    const index = new Map<string, number[]>();
    for (const e of t.links.flatMap((l) => [l.a, l.b])) index.set(e.switch, [...(index.get(e.switch) ?? []), e.port]);
    bySwitch = index;
    linkPortsCache.set(t, bySwitch);
  }
  return bySwitch.get(name) ?? [];
}

/**
 * One anycast gateway MAC for every subnet, as EVPN fabrics do: a VM that moves keeps a
 * valid ARP entry for its default gateway wherever it lands. No host may hold it.
 */
export const GATEWAY_MAC = '02:53:56:00:00:01';

/**
 * The anycast gateway's IPv6 link-local address: the modified EUI-64 of GATEWAY_MAC
 * (test/packet/ipv6.test.ts derives it with linkLocalOf; written out here because the web
 * view reads this module and the packet layer is Node's). The source of its router
 * advertisements, so the default router every IPv6 host keeps, and the same at every switch,
 * as the MAC is.
 */
export const GATEWAY_LINK_LOCAL = 'fe80::53:56ff:fe00:1';

/** Why no host may hold `mac` (the anycast gateway's, all-zero, broadcast, multicast), or undefined when one may: the file's checks and host learning's. */
export function reservedMac(mac: string): string | undefined {
  if (mac === '00:00:00:00:00:00') return 'the all-zero MAC is no host\'s';
  if ((Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) return `${mac} is a ${mac === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : 'multicast'} address`;
  if (mac === GATEWAY_MAC) return `${mac} is the anycast gateway MAC of the fabric`;
  return undefined;
}
