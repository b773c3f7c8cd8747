import type { FlowEntry, GroupEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { ND_REPLY, ROUTER_SOLICIT_TO_CONTROLLER, planHost6, route6 } from './ipv6-fabric.js';
import { admitHost, planPortSecurity } from './port-security.js';
import { GroupType, PortNo, act, bucket, inst } from '../openflow/index.js';
import { ARP_OP } from '../packet/arp.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import type { HostInfo } from '../topology/events.js';
import { GATEWAY_MAC, hasIpv6, type Topology } from '../topology/model.js';
import type { Adjacency, FabricGraph } from '../topology/fabric-graph.js';
import { networkOf, networksOf, prefixMatch, prefixMatch6, type Network } from '../topology/networks.js';
import { summarizeRoutes, type RouteSummary } from './route-summary.js';

export const FABRIC_COOKIE = PIPELINE.fabric.cookie;


/** Its priorities in the forwarding table (src/controller/pipeline.ts has every planner's). */
export const PRIORITY = PIPELINE.fabric.priority;

export interface FabricInput {
  topology: Topology;
  /** Where every known host is now. */
  hosts: readonly HostInfo[];
  /** Usable links. */
  graph: FabricGraph;
}

/** The select group on switch X that spreads traffic for switch T over X's next hops to T. */
export const nextHopGroupId = (topology: Topology, target: string): number => {
  let index = switchIndexes.get(topology);
  if (!index) {
    index = new Map(topology.switches.map((s, i) => [s.name, i]));
    switchIndexes.set(topology, index);
  }
  const id = PIPELINE.fabric.groups.min + (index.get(target) ?? -1);
  if (id > PIPELINE.fabric.groups.max) throw new RangeError(`switch ${target}: more switches than the fabric's group range holds`);
  return id;
};

/** Each file's switches by position (a group id per switch), made once: planning asks for every pair. */
const switchIndexes = new WeakMap<Topology, Map<string, number>>();

/** What every fabric plan is made from: the file, and its networks by the switch that serves them (computed once). */
export interface FabricContext {
  topology: Topology;
  networks: readonly Network[];
  networksBySwitch: ReadonlyMap<string, readonly Network[]>;
}

export const fabricContext = (topology: Topology): FabricContext => {
  const networks = networksOf(topology);
  const networksBySwitch = new Map<string, Network[]>();
  for (const n of networks) networksBySwitch.set(n.switch, [...(networksBySwitch.get(n.switch) ?? []), n]);
  return { topology, networks, networksBySwitch };
};

type Actions = Parameters<typeof inst.apply>[0];
type Instructions = FlowEntry['instructions'];
const apply = (actions: Actions): Instructions => (actions.length > 0 ? [inst.apply(actions)] : []);
/** An entry whose instruction list is shared with the other entries that do the same: its wire form is made and held once. */
const flowWith = (priority: number, match: FlowEntry['match'], instructions: Instructions): FlowEntry =>
  ({ tableId: TABLE.forwarding, priority, cookie: FABRIC_COOKIE, match, instructions });
const flow = (priority: number, match: FlowEntry['match'], actions: Actions): FlowEntry => flowWith(priority, match, apply(actions));
/** An entry of the routing table. */
const routing = (priority: number, match: FlowEntry['match'], actions: Actions): FlowEntry =>
  ({ tableId: TABLE.routing, priority, cookie: FABRIC_COOKIE, match, instructions: apply(actions) });
/** Every host's announcement goes to the controller: one instruction list for all of them. */
const TO_CONTROLLER: Instructions = apply([act.output(PortNo.CONTROLLER)]);

/**
 * One host's entries, on the switch it is attached to: what it may send (port security,
 * table 0), and in forwarding: its gateway answers its ARP in the switch, its own gratuitous ARP reaches the controller, ARP for it goes to it only (no flooding), and frames and packets for it are
 * delivered (routed ones with the gateway's MAC and a TTL decrement); in `arpReply`, a reply
 * the switch made for one of its requests goes back to it. None for a host whose address is
 * not known yet.
 */
export function planHost(ctx: FabricContext, h: HostInfo): SwitchTables {
  if (h.ip === undefined) return { flows: [], groups: [] };
  const ip = h.ip;
  const flows: FlowEntry[] = [];
  const toPort = apply([act.output(h.port)]);
  const home = networkOf(ctx.networks, ip);
  if (home) {
    flows.push(flow(PRIORITY.gatewayArp, { in_port: h.port, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: home.gateway, arp_sha: h.mac }, [
      act.setField('eth_dst', h.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('arp_op', ARP_OP.REPLY),
      act.setField('arp_sha', GATEWAY_MAC), act.setField('arp_spa', home.gateway), act.setField('arp_tha', h.mac), act.setField('arp_tpa', ip),
      act.output(PortNo.IN_PORT),
    ]));
  }
  flows.push(
    // Its own gratuitous ARP (Xen's announcement after a move) goes to the controller, not back to its old port.
    flowWith(PRIORITY.hostAnnounce, { eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_sha: h.mac, arp_tpa: ip }, TO_CONTROLLER),
    flowWith(PRIORITY.arpToHost, { eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: ip }, toPort),
    flowWith(PRIORITY.l2, { eth_dst: h.mac }, toPort),
    flow(PRIORITY.hostRoute, { eth_type: ETH_TYPE.IPV4, ipv4_dst: ip }, [act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', h.mac), act.decNwTtl(), act.output(h.port)]),
    // A reply made in the switch for its request (a proxy ARP answer: the sender is already set) goes back to it, from the gateway.
    { tableId: TABLE.arpReply, priority: PRIORITY.arpReply, cookie: FABRIC_COOKIE, match: { in_port: h.port, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REPLY, arp_sha: h.mac }, instructions: apply([
      act.setField('eth_dst', h.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('arp_sha', GATEWAY_MAC), act.setField('arp_tha', h.mac), act.setField('arp_tpa', ip),
      act.output(PortNo.IN_PORT),
    ]) },
    // And what it may send there (table 0, port security).
    ...admitHost(h),
    // Its IPv6 side, if it is dual-stack.
    ...planHost6(ctx.networks, h),
  );
  return { flows, groups: [] };
}

/**
 * Entries that many switches hold identically, made once and shared (a flyweight): the route
 * to a subnet is the same entry on every switch (it points at the target's group id), and so
 * is the ECMP group of every switch whose next hops leave by the same ports. A datacenter of
 * 2,000 switches plans 3.9 million routes and as many groups; shared, they are a few thousand
 * objects, and the reconciler computes each one's wire key once (flow-tables.ts). Planned
 * entries are values: nothing may change one after planning.
 */
interface SharedEntries {
  /** What every switch holds: ARP, RARP (and router solicitations) to the controller, the rest on to routing. */
  always: readonly FlowEntry[];
  /** The addresses never routed (multicast, broadcast, link-local), where a default route would carry them. */
  neverRouted: readonly FlowEntry[];
  /** The default route, IPv4 then IPv6, to DEFAULT_ROUTE_GROUP. */
  defaults: readonly FlowEntry[];
  /** Routes, drops and guards by what they are for (bounded by networks and port numbers). */
  cached(key: string, make: () => FlowEntry): FlowEntry;
  /** By group id and ports: at most the targets times the distinct uplink sets, cleared past MAX_SHARED_GROUPS. */
  groups: Map<string, GroupEntry>;
}
const MAX_SHARED_GROUPS = 1_000_000;
const sharedEntries = new WeakMap<FabricContext, SharedEntries>();

function sharedOf(ctx: FabricContext): SharedEntries {
  let shared = sharedEntries.get(ctx);
  if (!shared) {
    const entries = new Map<string, FlowEntry>();
    shared = {
      // ARP and RARP that no flow above answers go to the controller (unknown hosts, announcements); in a dual-stack datacenter, the entry that finishes the gateway's neighbour advertisements, and router solicitations to the controller.
      always: [
        flow(PRIORITY.arpToController, { eth_type: ETH_TYPE.ARP }, [act.output(PortNo.CONTROLLER)]),
        flow(PRIORITY.arpToController, { eth_type: ETH_TYPE.RARP }, [act.output(PortNo.CONTROLLER)]),
        ...(hasIpv6(ctx.topology) ? [ND_REPLY, ROUTER_SOLICIT_TO_CONTROLLER] : []),
        flowWith(PRIORITY.onToRouting, {}, [inst.gotoTable(TABLE.routing)]),
      ],
      neverRouted: [
        // 224.0.0.0/3: multicast, the reserved class E and the limited broadcast, in one entry.
        routing(PRIORITY.subnetDrop, { eth_type: ETH_TYPE.IPV4, ipv4_dst: { value: '224.0.0.0', mask: '224.0.0.0' } }, []),
        ...(hasIpv6(ctx.topology) ? [
          routing(PRIORITY.subnetDrop, { eth_type: ETH_TYPE.IPV6, ipv6_dst: { value: 'fe80::', mask: 'ffc0::' } }, []),
          routing(PRIORITY.subnetDrop, { eth_type: ETH_TYPE.IPV6, ipv6_dst: { value: 'ff00::', mask: 'ff00::' } }, []),
        ] : []),
      ],
      defaults: [
        routing(PRIORITY.defaultRoute, { eth_type: ETH_TYPE.IPV4 }, [act.decNwTtl(), act.group(DEFAULT_ROUTE_GROUP)]),
        routing(PRIORITY.defaultRoute, { eth_type: ETH_TYPE.IPV6 }, [act.decNwTtl(), act.group(DEFAULT_ROUTE_GROUP)]),
      ],
      cached: (key, make) => {
        let e = entries.get(key);
        if (!e) {
          e = make();
          entries.set(key, e);
        }
        return e;
      },
      groups: new Map(),
    };
    sharedEntries.set(ctx, shared);
  }
  return shared;
}

/** The group of a switch's default route: one id on every switch, its buckets the switch's own way up. */
export const DEFAULT_ROUTE_GROUP = PIPELINE.fabric.groups.max;

/**
 * One switch's routes (issue 26, docs/routing-at-scale.md). In `forwarding`: ARP and RARP
 * that no host entry answers go to the controller, and everything else no entry there takes
 * goes on to `routing`. There: what the switch's own subnets have no host for is dropped, and
 * every other network (IPv4, and IPv6 where it has a prefix) is forwarded along the shortest
 * valley-free paths to the switch that serves it, spread over the ECMP next hops by a select
 * group whose buckets watch their port. Summarized: the next-hop set most networks share, if
 * it only climbs, is one default route up; only a network whose next hops differ (in the
 * switch's pod, or around a failed link) has routes of its own. So every declared network is
 * forwarded exactly as with a route each, before and after any failure. The default serves
 * only what may still climb: a packet that came down an up link and that no entry above
 * takes is dropped, never sent back up; multicast, broadcast and link-local destinations are
 * never routed. Depends on the links (`graph`), never on hosts.
 */
export function planRoutes(ctx: FabricContext, graph: FabricGraph, sw: string): SwitchTables {
  const shared = sharedOf(ctx);
  const flows: FlowEntry[] = [...shared.always];
  const groups: GroupEntry[] = [];
  const v6 = hasIpv6(ctx.topology);
  const summary = summaryOf(ctx, graph).get(sw);
  for (const { target, nets, hops } of summary?.specific ?? []) {
    const groupId = nextHopGroupId(ctx.topology, target);
    groups.push(sharedGroup(shared, groupId, hops));
    for (const net of nets) flows.push(...sharedRoutes(shared, net, groupId));
  }
  for (const net of ctx.networksBySwitch.get(sw) ?? []) flows.push(...sharedDrops(shared, net));
  if (summary?.defaultHops !== undefined) {
    groups.push(sharedGroup(shared, DEFAULT_ROUTE_GROUP, summary.defaultHops));
    flows.push(...shared.neverRouted, ...shared.defaults.slice(0, v6 ? 2 : 1));
    for (const adj of summary.up) flows.push(...notUpAgain(shared, adj.port, v6));
  }
  return { flows, groups };
}

/** Every switch's route summary, made once per link graph and file: planning asks for every switch of one graph in turn. */
const summaries = new WeakMap<FabricGraph, WeakMap<FabricContext, ReadonlyMap<string, RouteSummary>>>();
function summaryOf(ctx: FabricContext, graph: FabricGraph): ReadonlyMap<string, RouteSummary> {
  let byCtx = summaries.get(graph);
  if (!byCtx) {
    byCtx = new WeakMap();
    summaries.set(graph, byCtx);
  }
  let summary = byCtx.get(ctx);
  if (!summary) {
    summary = summarizeRoutes(graph, ctx.networksBySwitch);
    byCtx.set(ctx, summary);
  }
  return summary;
}

/** A select group over `hops`, shared by every switch whose hops to the same target leave by the same ports. */
function sharedGroup(shared: SharedEntries, groupId: number, hops: readonly Adjacency[]): GroupEntry {
  const groupKey = `${groupId}/${hops.map((h) => h.port).join(',')}`;
  let group = shared.groups.get(groupKey);
  if (!group) {
    if (shared.groups.size >= MAX_SHARED_GROUPS) shared.groups.clear();
    group = { groupId, groupType: GroupType.SELECT, buckets: hops.map((h) => bucket([act.output(h.port)], { weight: 1, watchPort: h.port })) };
    shared.groups.set(groupKey, group);
  }
  return group;
}

/** The routes to `net` (IPv4, and IPv6 where it has a prefix) through `groupId`: the same entries on every switch. */
function sharedRoutes(shared: SharedEntries, net: Network, groupId: number): FlowEntry[] {
  return [
    shared.cached(`route ${net.name}`, () => routing(PRIORITY.subnetRoute, { eth_type: ETH_TYPE.IPV4, ipv4_dst: prefixMatch(net) }, [act.decNwTtl(), act.group(groupId)])),
    ...(net.ipv6 ? [shared.cached(`route6 ${net.name}`, () => route6(net, groupId)!)] : []),
  ];
}

/** What the switch that serves `net` has no host entry for: dropped there, never sent up by the default route. */
function sharedDrops(shared: SharedEntries, net: Network): FlowEntry[] {
  return [
    shared.cached(`drop ${net.name}`, () => routing(PRIORITY.subnetDrop, { eth_type: ETH_TYPE.IPV4, ipv4_dst: prefixMatch(net) }, [])),
    ...(net.ipv6 ? [shared.cached(`drop6 ${net.name}`, () => routing(PRIORITY.subnetDrop, { eth_type: ETH_TYPE.IPV6, ipv6_dst: prefixMatch6(net.ipv6!) }, []))] : []),
  ];
}

/** From an up link, only what an entry above the default takes: valley-free, a packet that came down never climbs again. */
function notUpAgain(shared: SharedEntries, port: number, v6: boolean): FlowEntry[] {
  return [
    shared.cached(`up ${port}`, () => routing(PRIORITY.notUpAgain, { in_port: port, eth_type: ETH_TYPE.IPV4 }, [])),
    ...(v6 ? [shared.cached(`up6 ${port}`, () => routing(PRIORITY.notUpAgain, { in_port: port, eth_type: ETH_TYPE.IPV6 }, []))] : []),
  ];
}

/**
 * The L3 fabric: every access (and edge) switch is the default gateway of its subnets
 * (external networks), answers ARP for them, routes between them, delivers to its hosts.
 * Every switch decrements the TTL (each is a router in this L3 datacenter). The whole
 * fabric at once, from its parts (planPortSecurity and planRoutes per switch, planHost per host); the
 * controller itself plans incrementally from the same two functions (src/app/planning.ts).
 * Pure: the same input always gives the same tables.
 */
export function planFabric(input: FabricInput): Map<string, SwitchTables> {
  const ctx = fabricContext(input.topology);
  const out = new Map<string, SwitchTables>();
  for (const sw of input.topology.switches) {
    const routes = planRoutes(ctx, input.graph, sw.name);
    const hosts = input.hosts.filter((h) => h.switch === sw.name).map((h) => planHost(ctx, h));
    const ingress = planPortSecurity(input.topology, sw.name);
    out.set(sw.name, { flows: [...ingress.flows, ...hosts.flatMap((t) => t.flows), ...routes.flows], groups: routes.groups });
  }
  return out;
}
