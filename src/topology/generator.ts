import { intToIp } from './cidr.js';
import type { Tier } from './model.js';

/**
 * Generates topology files: three-tier datacenters of any size and k-ary fat-trees. The
 * output is YAML text that loader.ts validates like a hand-written file.
 */

interface Draft {
  name: string;
  description: string;
  switches: Array<{ name: string; tier: Tier; dpid: string }>;
  links: Array<[string, string]>;
  /** Dual-stack: every network gets an IPv6 side and every host an IPv6 address. */
  ipv6: boolean;
  subnets: Array<{ name: string; prefix: string; gateway: string; switch: string; coa_pool: string; prefix6?: string; gateway6?: string; coa_pool6?: string }>;
  hosts: Array<{ name: string; mac: string; ip: string; switch: string; port: number; ip6?: string }>;
  external: Array<{ name: string; prefix: string; gateway: string; switch: string; prefix6?: string; gateway6?: string; hosts: Array<{ name: string; mac: string; ip: string; port: number; ip6?: string }> }>;
}

/**
 * The IPv6 side of subnet i: 2001:db8:N::/64 with N = i + 1 in its last two groups (net1 is
 * 2001:db8:0:1::/64, as in dc-small). Host, gateway and pool addresses mirror the IPv4 ones'
 * last number in hex digits (.10 is ::10, the pool .200-.250 is ::200-::250), so a person
 * reads one from the other.
 */
const subnet6 = (i: number): string => `2001:db8:${((i + 1) >>> 16).toString(16)}:${((i + 1) & 0xffff).toString(16)}::`;

/** Port allocation per switch, in the order links and hosts are declared. */
class Ports {
  private readonly next = new Map<string, number>();
  take(sw: string): number {
    const p = this.next.get(sw) ?? 1;
    this.next.set(sw, p + 1);
    return p;
  }
}

const dpid = (tier: number, index: number): string => ((tier << 16) | index).toString(16).padStart(16, '0');
const mac = (n: number): string => `02:00:${[(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/**
 * Subnet i (0-based) is 10.(i/256).(i%256).0/24 with gateway .1, hosts from .10 and a
 * CoA pool of .200-.250.
 */
function addSubnet(d: Draft, ports: Ports, i: number, access: string, hostsPerAccess: number): void {
  const base = (10 << 24) | (i << 8);
  const v6 = subnet6(i);
  d.subnets.push({
    name: `net${i + 1}`, prefix: `${intToIp(base)}/24`, gateway: intToIp(base | 1), switch: access, coa_pool: `${intToIp(base | 200)}-${intToIp(base | 250)}`,
    ...(d.ipv6 ? { prefix6: `${v6}/64`, gateway6: `${v6}1`, coa_pool6: `${v6}200-${v6}250` } : {}),
  });
  for (let h = 0; h < hostsPerAccess; h++) {
    d.hosts.push({ name: `h${i + 1}_${h + 1}`, mac: mac(base | (10 + h)), ip: intToIp(base | (10 + h)), switch: access, port: ports.take(access), ...(d.ipv6 ? { ip6: `${v6}${10 + h}` } : {}) });
  }
}

function addEdge(d: Draft, ports: Ports, uplinks: string[]): void {
  d.switches.push({ name: 'edge1', tier: 'edge', dpid: dpid(4, 1) });
  for (const sw of uplinks) d.links.push([`edge1:${ports.take('edge1')}`, `${sw}:${ports.take(sw)}`]);
  d.external.push({
    name: 'internet', prefix: '198.51.100.0/24', gateway: '198.51.100.1', switch: 'edge1',
    ...(d.ipv6 ? { prefix6: '2001:db8:100::/64', gateway6: '2001:db8:100::1' } : {}),
    hosts: [{ name: 'client', mac: '02:00:c6:33:64:0a', ip: '198.51.100.10', port: ports.take('edge1'), ...(d.ipv6 ? { ip6: '2001:db8:100::10' } : {}) }],
  });
}

export interface ThreeTierOptions {
  cores: number;
  aggregations: number;
  accessPerAggregation: number;
  hostsPerAccess: number;
  /** Dual-stack (IPv6 beside IPv4); IPv4 only by default. */
  ipv6?: boolean;
}

/** Every aggregation switch links to every core; each access switch to its aggregation. */
export function threeTier(o: ThreeTierOptions): string {
  const d: Draft = { name: `three-tier-c${o.cores}-a${o.aggregations}-x${o.accessPerAggregation}-h${o.hostsPerAccess}`, description: `generated three-tier datacenter${o.ipv6 ? ', dual-stack' : ''}`, ipv6: o.ipv6 ?? false, switches: [], links: [], subnets: [], hosts: [], external: [] };
  const ports = new Ports();
  const cores = Array.from({ length: o.cores }, (_, i) => `core${i + 1}`);
  for (const [i, name] of cores.entries()) d.switches.push({ name, tier: 'core', dpid: dpid(1, i + 1) });
  let subnet = 0;
  for (let a = 0; a < o.aggregations; a++) {
    const agg = `agg${a + 1}`;
    d.switches.push({ name: agg, tier: 'aggregation', dpid: dpid(2, a + 1) });
    for (const core of cores) d.links.push([`${agg}:${ports.take(agg)}`, `${core}:${ports.take(core)}`]);
    for (let x = 0; x < o.accessPerAggregation; x++) {
      const acc = `acc${subnet + 1}`;
      d.switches.push({ name: acc, tier: 'access', dpid: dpid(3, subnet + 1) });
      d.links.push([`${acc}:${ports.take(acc)}`, `${agg}:${ports.take(agg)}`]);
      addSubnet(d, ports, subnet, acc, o.hostsPerAccess);
      subnet++;
    }
  }
  addEdge(d, ports, cores);
  return render(d);
}

/**
 * k-ary fat-tree (Al-Fares et al., 2008): (k/2)^2 cores, k pods of k/2 aggregation and k/2
 * access (ToR) switches, k/2 hosts per access switch; one subnet per access switch.
 */
export function fatTree(k: number, hostsPerAccess = k / 2, { ipv6 = false }: { ipv6?: boolean } = {}): string {
  if (k < 2 || k % 2 !== 0) throw new Error(`fat-tree k must be even and at least 2, not ${k}`);
  const half = k / 2;
  const d: Draft = { name: `fat-tree-k${k}`, description: `k=${k} fat-tree${ipv6 ? ', dual-stack' : ''}`, ipv6, switches: [], links: [], subnets: [], hosts: [], external: [] };
  const ports = new Ports();
  const cores: string[] = [];
  for (let c = 0; c < half * half; c++) {
    cores.push(`core${c + 1}`);
    d.switches.push({ name: `core${c + 1}`, tier: 'core', dpid: dpid(1, c + 1) });
  }
  let subnet = 0;
  for (let p = 0; p < k; p++) {
    const aggs = Array.from({ length: half }, (_, a) => `p${p + 1}agg${a + 1}`);
    aggs.forEach((agg, a) => {
      d.switches.push({ name: agg, tier: 'aggregation', dpid: dpid(2, p * half + a + 1) });
      // Aggregation a of every pod links to cores a*k/2 .. a*k/2 + k/2 - 1.
      for (let c = 0; c < half; c++) {
        const core = cores[a * half + c]!;
        d.links.push([`${agg}:${ports.take(agg)}`, `${core}:${ports.take(core)}`]);
      }
    });
    for (let x = 0; x < half; x++) {
      const acc = `p${p + 1}acc${x + 1}`;
      d.switches.push({ name: acc, tier: 'access', dpid: dpid(3, p * half + x + 1) });
      for (const agg of aggs) d.links.push([`${acc}:${ports.take(acc)}`, `${agg}:${ports.take(agg)}`]);
      addSubnet(d, ports, subnet++, acc, hostsPerAccess);
    }
  }
  addEdge(d, ports, cores);
  return render(d);
}

function render(d: Draft): string {
  const flow = (o: object): string => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${typeof v === 'string' && /[:\s]/.test(v) ? JSON.stringify(v) : String(v)}`).join(', ')} }`;
  const quoted = (v: string): string => JSON.stringify(v);
  const lines = [
    `# ${d.description}; generated by: svcswitch topology generate`,
    `name: ${d.name}`,
    'switches:',
    ...d.switches.map((s) => `  - ${flow({ ...s, dpid: JSON.stringify(s.dpid) })}`.replace(/dpid: "\\"(\w+)\\""/, 'dpid: "$1"')),
    'links:',
    ...d.links.map(([a, b]) => `  - [${a}, ${b}]`),
    'subnets:',
    ...d.subnets.map((s) => `  - ${flow(s)}`),
    'hosts:',
    ...d.hosts.map((h) => `  - ${flow(h)}`),
    'external:',
    ...d.external.flatMap((e) => [
      `  - name: ${e.name}`,
      `    prefix: ${e.prefix}`,
      `    gateway: ${e.gateway}`,
      `    switch: ${e.switch}`,
      ...(e.prefix6 === undefined ? [] : [`    prefix6: ${quoted(e.prefix6)}`, `    gateway6: ${quoted(e.gateway6!)}`]),
      '    hosts:',
      ...e.hosts.map((h) => `      - ${flow(h)}`),
    ]),
  ];
  return lines.join('\n') + '\n';
}
