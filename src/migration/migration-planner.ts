import type { FlowEntry, GroupEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { NA_FLAGS_SOLICITED_OVERRIDE, NEIGHBOR_SOLICITATION, ndAnsweredAs } from '../fabric/ipv6-fabric.js';
import { NO_LINK_LAYER_ADDRESS, admitHost, admitHost6 } from '../fabric/port-security.js';
import { GroupType, PortNo, act, bucket, inst } from '../openflow/index.js';
import { ARP_OP } from '../packet/arp.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ND_OPTION } from '../packet/icmpv6.js';
import type { FabricContext } from '../fabric/fabric-planner.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import { GATEWAY_MAC, linkPortsOf } from '../topology/model.js';
import { prefixMatch, type Network } from '../topology/networks.js';
import { IPV4_FAMILY, IPV6_FAMILY, coaTwin6, declaredIp6, type AddressFamily } from './address-family.js';
import { nextHops } from '../topology/valley-free.js';
import type { MigrationMode } from './binding-store.js';

const SLOT = PIPELINE.migration;
export const MIGRATION_COOKIE = SLOT.cookie;
const PRIORITY = SLOT.priority;

/** A place a VM is at or goes to: a switch port, and the CoA that reaches it there (none at home). */
export interface Place {
  switch: string;
  port: number;
  coa: string | undefined;
}

/** What the migration planner needs of one VM: who it is, where traffic for it goes now, and where it is going. */
export interface Placement {
  hoa: string;
  mac: string;
  home: Network;
  /** The mode of the current place (which switches redirect to it). */
  mode: MigrationMode;
  /** Where the VM is now (at home: coa undefined). */
  at: Place;
  /** Make-before-break: where it is going, before the switchover. */
  next?: Place;
  /**
   * Just switched over from this Foreign place: until every redirect has moved, packets still
   * reaching its CoA go on to where the VM is now (its CoA, or its HoA at home).
   */
  leaving?: Place & { coa: string };
  /** The first of its two bicast group ids (host side, fabric side), from the migration's range: while in flight or draining (a settled VM has none). */
  group: number | undefined;
}

type Actions = Parameters<typeof inst.apply>[0];
type Match = FlowEntry['match'];
type Instructions = FlowEntry['instructions'];
/** An entry whose instruction list may be shared with others that do the same: its wire form is then made and held once. */
const flowWith = (priority: number, match: Match, instructions: Instructions): FlowEntry => ({ tableId: TABLE.forwarding, priority, cookie: MIGRATION_COOKIE, match, instructions });
const flow = (priority: number, match: Match, actions: Actions): FlowEntry => flowWith(priority, match, [inst.apply(actions)]);
const TO_CONTROLLER: Instructions = [inst.apply([act.output(PortNo.CONTROLLER)])];
const TO_ARP_ANSWERS: Instructions = [inst.gotoTable(TABLE.arpAnswer)];
/** A request turned into the reply "`address` is at the gateway MAC", handed to arpReply, which addresses it to the host that asked. */
export const answeredAs = (address: string): Instructions => [inst.apply([act.setField('arp_op', ARP_OP.REPLY), act.setField('arp_spa', address)]), inst.gotoTable(TABLE.arpReply)];
const ON_TO_FORWARDING = inst.gotoTable(TABLE.forwarding);
/** An entry of table 0 (ingress), before forwarding. */
const ingress = (priority: number, match: Match, instructions: Instructions): FlowEntry => ({ tableId: TABLE.ingress, priority, cookie: MIGRATION_COOKIE, match, instructions });

/** Edge switches, and first-hop switches (edge, access, or serving a subnet), of a context: worked out once, not for every binding planned. */
const firstHopCache = new WeakMap<FabricContext, { edges: string[]; firstHops: string[] }>();
function firstHopSwitches(ctx: FabricContext): { edges: string[]; firstHops: string[] } {
  let cached = firstHopCache.get(ctx);
  if (!cached) {
    const edges = ctx.topology.switches.filter((s) => s.tier === 'edge').map((s) => s.name);
    const firstHops = ctx.topology.switches.filter((s) => s.tier === 'edge' || s.tier === 'access' || ctx.networksBySwitch.has(s.name)).map((s) => s.name);
    cached = { edges, firstHops };
    firstHopCache.set(ctx, cached);
  }
  return cached;
}

/** The switches that rewrite HoA -> CoA for a VM at `at`, by mode (never the switch it is at). */
export function redirectingSwitches(ctx: FabricContext, mode: MigrationMode, home: string, at: string): string[] {
  const { edges, firstHops } = firstHopSwitches(ctx);
  const chosen = mode === 'mobile-ip' ? [home] : mode === 'optimized' ? [home, ...edges] : firstHops;
  return [...new Set(chosen)].filter((s) => s !== at);
}

/**
 * Every entry one migrated (or migrating) VM needs, by switch: the redirect HoA -> CoA where
 * its mode puts it, the restore CoA -> HoA and delivery at the Foreign switch, proxy ARP at
 * the Home switch (for the HoA) and at the Foreign switch (the VM's requests for its Home
 * Network), and during make-before-break two ALL groups that bicast to both places. A
 * dual-stack VM gets every entry again in IPv6 (its declared IPv6 address, the CoAs' twins,
 * proxy neighbour discovery for proxy ARP, two more groups). No entry on aggregation or core
 * switches. Pure: the same placement and links, the same tables.
 */
export function planMigration(ctx: FabricContext, graph: FabricGraph, p: Placement): Map<string, SwitchTables> {
  const out = new Map<string, { flows: FlowEntry[]; groups: GroupEntry[] }>();
  planFamily(ctx, graph, p, IPV4_FAMILY, out);
  const p6 = placement6(ctx, p);
  if (p6) planFamily(ctx, graph, p6, IPV6_FAMILY, out);
  return out;
}

/**
 * A dual-stack VM's placement in IPv6: its declared IPv6 address as HoA, each place's CoA
 * the twin of its IPv4 one, the second pair of its bicast group ids. Undefined for a VM
 * without an IPv6 address, or at a place whose subnet has no IPv6 side (admission refuses a
 * move there; a topology edit can still make one): its IPv6 is then not carried abroad.
 */
function placement6(ctx: FabricContext, p: Placement): Placement | undefined {
  const hoa = declaredIp6(ctx.topology, p.hoa);
  if (hoa === undefined) return undefined;
  let complete = true;
  const twin = <P extends Place>(place: P): P => {
    if (place.coa === undefined) return place;
    const coa = coaTwin6(ctx.topology.subnets, place.coa);
    if (coa === undefined) complete = false;
    return { ...place, coa };
  };
  const { at, next, leaving } = p;
  const p6: Placement = {
    ...p, hoa, at: twin(at),
    ...(next ? { next: twin(next) } : {}),
    ...(leaving ? { leaving: twin(leaving) } : {}),
    group: p.group === undefined ? undefined : p.group + IPV6_GROUP_OFFSET,
  };
  return complete ? p6 : undefined;
}

/** A dual-stack VM's own IPv6 at a port of the migration's: its packets and its own ND pass, any other ND from its MAC is dropped above the migration's source entries. */
const ADMIT6 = { host: PRIORITY.admit, ndOwn: PRIORITY.admitNdOwn, ndGuard: PRIORITY.admitNdGuard, cookie: MIGRATION_COOKIE };

/** A dual-stack VM's IPv6 bicast groups follow its IPv4 pair: the migration takes four ids (bicast-groups.ts). */
export const IPV6_GROUP_OFFSET = 2;

/** The VM's solicitations at its Foreign port, to arpAnswer; one with a source link-layer option gets it made the target's here (the answer's entries set the rest). */
const TO_ND_ANSWERS_WITH_OPTION: Instructions = [inst.apply([act.setField('nd_options_type', ND_OPTION.TARGET_LLA)]), inst.gotoTable(TABLE.arpAnswer)];

/** The entries of one family (`f`) of the VM `p` (in that family's addresses), added to `out`. */
function planFamily(ctx: FabricContext, graph: FabricGraph, p: Placement, f: AddressFamily, out: Map<string, { flows: FlowEntry[]; groups: GroupEntry[] }>): void {
  const v4 = f === IPV4_FAMILY;
  const group = (): number => {
    if (p.group === undefined) throw new Error(`the migration of ${p.hoa} is in flight without a bicast group id`);
    return p.group;
  };
  /** Instruction lists that several of this VM's entries have (the same redirect on every switch and fabric port), made once. */
  const made = new Map<string, Instructions>();
  const onceAs = (key: string, instructions: () => Instructions): Instructions => {
    let i = made.get(key);
    if (i === undefined) {
      i = instructions();
      made.set(key, i);
    }
    return i;
  };
  const once = (key: string, actions: () => Actions): Instructions => onceAs(key, () => [inst.apply(actions())]);
  const on = (sw: string) => {
    const t = out.get(sw) ?? { flows: [], groups: [] };
    out.set(sw, t);
    return t;
  };
  const home = p.home.switch;
  /** Hands a packet to the VM on `port`, addressed to its HoA. */
  const deliver = (port: number): Actions => [f.setTo(p.hoa), act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', p.mac), act.output(port)];
  const rewrite = (coa: string): Actions => [f.setTo(coa), act.decNwTtl()];
  const fabricPorts = (sw: string) => linkPortsOf(ctx.topology, sw);

  /**
   * Packets for the HoA at `sw` go, as `to.coa`, towards `to.switch`: from a host port on to
   * the fabric's routes for the CoA (whose ECMP group decrements the TTL), from the fabric back
   * out of the port they came in. With `localPort`, a copy also goes to the VM there
   * (make-before-break).
   */
  const hoaAt = (sw: string, to: { switch: string; coa: string }, localPort?: number): void => {
    const toHoa: Match = f.to(p.hoa);
    const hop = nextHops(graph, sw, to.switch)[0];
    if (localPort === undefined) {
      // Routed as any packet for the CoA is: the redirect names no group of the fabric's, whose routes change with the links.
      on(sw).flows.push(flowWith(PRIORITY.toHoa, toHoa, onceAs(`routed as ${to.coa}`, () => [inst.apply([f.setTo(to.coa)]), inst.gotoTable(TABLE.routing)])));
      const back = once(`back as ${to.coa}`, () => [...rewrite(to.coa), act.output(PortNo.IN_PORT)]);
      for (const port of fabricPorts(sw)) on(sw).flows.push(flowWith(PRIORITY.toHoaFromFabric, { in_port: port, ...toHoa }, back));
      return;
    }
    const here = bucket([act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', p.mac), act.output(localPort)]);
    on(sw).groups.push(
      { groupId: group(), groupType: GroupType.ALL, buckets: [here, ...(hop ? [bucket([...rewrite(to.coa), act.output(hop.port)])] : [])] },
      { groupId: group() + 1, groupType: GroupType.ALL, buckets: [here, bucket([...rewrite(to.coa), act.output(PortNo.IN_PORT)])] },
    );
    on(sw).flows.push(flow(PRIORITY.toHoa, toHoa, [act.group(group())]));
    for (const port of fabricPorts(sw)) on(sw).flows.push(flow(PRIORITY.toHoaFromFabric, { in_port: port, ...toHoa }, [act.group(group() + 1)]));
  };

  /** The Foreign switch at `place`: CoA -> HoA and delivery (with `onward`, a copy onward as that CoA), and the VM's ARP for its Home Network. */
  const foreignAt = (place: Place & { coa: string }, onward?: string): void => {
    const toCoa: Match = f.to(place.coa);
    if (onward === undefined) {
      on(place.switch).flows.push(flow(PRIORITY.toCoa, toCoa, [act.decNwTtl(), ...deliver(place.port)]));
    } else {
      // Packets for a CoA only come from the fabric: the copy goes back out of the port it came in.
      on(place.switch).groups.push({ groupId: group() + 1, groupType: GroupType.ALL, buckets: [bucket(deliver(place.port)), bucket([...rewrite(onward), act.output(PortNo.IN_PORT)])] });
      on(place.switch).flows.push(flow(PRIORITY.toCoa, toCoa, [act.decNwTtl(), act.group(group() + 1)]));
    }
    if (v4) {
      // The VM still believes it is at home: its ARP for any address of its Home Network (gateway included) is answered with the gateway MAC, in the switch for every address it knows (arp-answers.ts).
      on(place.switch).flows.push(flowWith(PRIORITY.arp, { in_port: place.port, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_sha: p.mac, arp_tpa: prefixMatch(p.home) }, TO_ARP_ANSWERS));
      // Not its gratuitous ARP for its own HoA (its address is not the gateway's): to the controller, as every host's.
      on(place.switch).flows.push(flowWith(PRIORITY.arpOwn, { in_port: place.port, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_sha: p.mac, arp_tpa: p.hoa }, TO_CONTROLLER));
      return;
    }
    // In IPv6 its neighbour solicitations (its gateway's addresses, its Home Network's) go to arpAnswer, which answers each
    // address it knows with the gateway MAC (arp-answers.ts) and drops the others. OpenFlow cannot match a target by prefix.
    const mine = { in_port: place.port, eth_src: p.mac, ...NEIGHBOR_SOLICITATION };
    on(place.switch).flows.push(
      flowWith(PRIORITY.nd, { ...mine, ipv6_nd_sll: p.mac }, TO_ND_ANSWERS_WITH_OPTION),
      flowWith(PRIORITY.nd, { ...mine, ipv6_nd_sll: NO_LINK_LAYER_ADDRESS }, TO_ARP_ANSWERS),
    );
  };

  /**
   * Going home, a redirecting switch other than the Home switch sends packets for the HoA both
   * as the CoA to where the VM is and, as the HoA marked with the VM's MAC, home: the Home
   * switch delivers a marked copy only there (`homecoming`), so the VM never gets one twice.
   */
  const markedHome: Actions = [act.setField('eth_dst', p.mac), act.decNwTtl()];
  const hoaBothWays = (sw: string, to: { switch: string; coa: string }): void => {
    const there = nextHops(graph, sw, to.switch)[0];
    const homeward = nextHops(graph, sw, home)[0];
    const buckets = [...(there ? [bucket([...rewrite(to.coa), act.output(there.port)])] : []), ...(homeward ? [bucket([...markedHome, act.output(homeward.port)])] : [])];
    on(sw).groups.push({ groupId: group(), groupType: GroupType.ALL, buckets });
    on(sw).flows.push(flow(PRIORITY.toHoa, f.to(p.hoa), [act.group(group())]));
    // From the fabric (not on any path of the fabric's routes): as before, back out as the CoA.
    const back = once(`back as ${to.coa}`, () => [...rewrite(to.coa), act.output(PortNo.IN_PORT)]);
    for (const port of fabricPorts(sw)) on(sw).flows.push(flowWith(PRIORITY.toHoaFromFabric, { in_port: port, ...f.to(p.hoa) }, back));
  };
  /** At every first hop but `place`'s switch: a packet from the fabric with `place.coa` as source has the HoA as source again, then goes on to forwarding. */
  let restored: Instructions | undefined;
  const restoreSource = (place: Place & { coa: string }): void => {
    // One instruction list for every switch and port (its wire form is made once).
    restored ??= [inst.apply([f.setFrom(p.hoa)]), ON_TO_FORWARDING];
    for (const sw of redirectingSwitches(ctx, 'first-hop', home, place.switch)) {
      for (const port of fabricPorts(sw)) on(sw).flows.push(ingress(PRIORITY.sourceRestored, { in_port: port, ...f.from(place.coa) }, restored));
    }
  };
  /**
   * The VM's own packets at `place`: to the Foreign switch's own subnets (its FN nodes, which
   * may know it by its HoA) the source stays the HoA; every other leaves with the CoA as source,
   * restored at the correspondent's first switch. Both entries also admit the VM's frames
   * (port security), as its host entries do.
   */
  const sourceAsCoa = (place: Place & { coa: string }): void => {
    const own = { in_port: place.port, eth_src: p.mac, ...f.from(p.hoa) };
    for (const n of ctx.networksBySwitch.get(place.switch) ?? []) {
      const prefix = f.prefixOf(n);
      if (prefix) on(place.switch).flows.push(ingress(PRIORITY.sourceKept, { ...own, ...f.to(prefix) }, [ON_TO_FORWARDING]));
    }
    on(place.switch).flows.push(ingress(PRIORITY.sourceToCoa, own, [inst.apply([f.setFrom(place.coa)]), ON_TO_FORWARDING]));
    // In IPv6 its own ND passes, and no other ND from it meets the entries above (they would rewrite a forged advertisement's source and forward it).
    if (!v4) on(place.switch).flows.push(...admitHost6({ mac: p.mac, ip6: p.hoa, port: place.port }, ADMIT6));
    restoreSource(place);
  };
  const { at, next } = p;
  if (at.coa === undefined) {
    // At home, going abroad: the Home switch sends packets for the HoA both to the VM's port and, as the new CoA, to its next switch.
    if (next?.coa !== undefined) hoaAt(home, { switch: next.switch, coa: next.coa }, at.port);
  } else {
    const current = { switch: at.switch, coa: at.coa };
    const returning = next !== undefined && next.coa === undefined;
    // Every mode redirects at the Home switch; going home, every redirecting switch also sends a copy home (make-before-break).
    for (const sw of redirectingSwitches(ctx, p.mode, home, at.switch)) {
      if (!returning) hoaAt(sw, current);
      else if (sw === home) hoaAt(sw, current, next.port);
      else hoaBothWays(sw, current);
    }
    if (returning) {
      const arrived: Instructions = [inst.apply([act.setField('eth_src', GATEWAY_MAC), act.output(next.port)])];
      for (const port of fabricPorts(home)) {
        on(home).flows.push(flowWith(PRIORITY.homecoming, { in_port: port, eth_dst: p.mac, ...f.to(p.hoa) }, arrived));
      }
    }
    // The HN nodes ARP for the HoA: the Home switch answers, with the gateway MAC, until the VM is back. In the switch: the
    // request becomes the reply "HoA is at the gateway" and arpReply sends it back to the host that asked (controller or not).
    // In IPv6 a solicitation for the HoA becomes the advertisement; a unicast probe (no link-layer option) is answered without one.
    if (v4) on(home).flows.push(flowWith(PRIORITY.arp, { eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: p.hoa }, answeredAs(p.hoa)));
    else {
      on(home).flows.push(
        flowWith(PRIORITY.nd, { ...NEIGHBOR_SOLICITATION, ipv6_nd_target: p.hoa }, ndAnsweredAs(p.hoa, NA_FLAGS_SOLICITED_OVERRIDE, true)),
        flowWith(PRIORITY.ndProbe, { ...NEIGHBOR_SOLICITATION, ipv6_nd_target: p.hoa, ipv6_nd_sll: NO_LINK_LAYER_ADDRESS }, ndAnsweredAs(p.hoa, NA_FLAGS_SOLICITED_OVERRIDE, false)),
      );
    }
    foreignAt({ ...at, coa: at.coa }, next?.coa);
    if (next !== undefined) {
      // The FN nodes of the switch it leaves reach it directly (the fabric's host route): they get the bicast too.
      const hop = nextHops(graph, at.switch, next.switch)[0];
      const onward = next.coa === undefined ? markedHome : rewrite(next.coa);
      on(at.switch).groups.push({ groupId: group(), groupType: GroupType.ALL, buckets: [bucket(deliver(at.port)), ...(hop ? [bucket([...onward, act.output(hop.port)])] : [])] });
      on(at.switch).flows.push(flow(PRIORITY.toHoa, f.to(p.hoa), [act.group(group())]));
    }
  }
  if (next?.coa !== undefined) foreignAt({ ...next, coa: next.coa });
  // Make-before-break: the VM's first frame at its new place, whatever it is, tells the controller it runs there.
  if (next) {
    if (v4) on(next.switch).flows.push(flowWith(PRIORITY.arrival, { in_port: next.port, eth_src: p.mac }, TO_CONTROLLER));
    // Port security lets the VM's own MAC and HoA in at its new port: its host record moves there only at the switchover.
    if (v4) on(next.switch).flows.push(...admitHost({ mac: p.mac, ip: p.hoa, port: next.port }, PRIORITY.admit, MIGRATION_COOKIE));
    else on(next.switch).flows.push(...admitHost6({ mac: p.mac, ip6: p.hoa, port: next.port }, ADMIT6));
  }
  const { leaving } = p;
  if (p.mode === 'first-hop') {
    // Slide 21 for the VM's own packets: the CoA as their source between switches (set where it is, restored at the first switch of every correspondent).
    if (at.coa !== undefined) sourceAsCoa({ ...at, coa: at.coa });
    // Packets it sent from the place it just left may still be on their way: restored too until that place's entries go.
    if (leaving && leaving.coa !== at.coa) restoreSource(leaving);
  }
  if (leaving && leaving.coa !== at.coa && leaving.coa !== next?.coa) {
    const onward = rewrite(at.coa ?? p.hoa);
    // Packets for a CoA only come from the fabric: back out of the port they came in.
    on(leaving.switch).flows.push(flow(PRIORITY.toCoa, f.to(leaving.coa), [...onward, act.output(PortNo.IN_PORT)]));
  }
}
