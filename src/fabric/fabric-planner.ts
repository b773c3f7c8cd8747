import type { FlowEntry, GroupEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE } from '../controller/pipeline.js';
import { GroupType, PortNo, act, bucket, inst } from '../openflow/index.js';
import { ARP_OP } from '../packet/arp.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import type { HostInfo } from '../topology/events.js';
import { GATEWAY_MAC, type Topology } from '../topology/model.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import { networkOf, networksOf, prefixMatch, type Network } from '../topology/networks.js';
import { nextHops } from '../topology/valley-free.js';

export const FABRIC_COOKIE = PIPELINE.fabric.cookie;


/** Its priorities in table 0 (src/controller/pipeline.ts has every planner's). */
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
  const id = PIPELINE.fabric.groups.min + topology.switches.findIndex((s) => s.name === target);
  if (id > PIPELINE.fabric.groups.max) throw new RangeError(`switch ${target}: more switches than the fabric's group range holds`);
  return id;
};

/**
 * The L3 fabric: every access (and edge) switch is the default gateway of its subnets
 * (external networks), answers ARP for them, routes between them, delivers to its hosts.
 * Every switch decrements the TTL (each is a router in this L3 datacenter) and forwards a
 * subnet's prefix along the shortest valley-free paths to the switch that serves it,
 * spreading it over the ECMP next hops with a select group whose buckets watch their port.
 * Pure: the same input always gives the same tables.
 */
export function planFabric(input: FabricInput): Map<string, SwitchTables> {
  const { topology, hosts, graph } = input;
  const networks = networksOf(topology);
  const out = new Map<string, SwitchTables>();
  for (const sw of topology.switches) {
    const flows: FlowEntry[] = [];
    const groups: GroupEntry[] = [];
    const flow = (priority: number, match: FlowEntry['match'], actions: Parameters<typeof inst.apply>[0]): void =>
      void flows.push({ tableId: 0, priority, cookie: FABRIC_COOKIE, match, instructions: actions.length > 0 ? [inst.apply(actions)] : [] });

    // ARP and RARP that no flow below answers go to the controller (unknown hosts, announcements).
    flow(PRIORITY.arpToController, { eth_type: ETH_TYPE.ARP }, [act.output(PortNo.CONTROLLER)]);
    flow(PRIORITY.arpToController, { eth_type: ETH_TYPE.RARP }, [act.output(PortNo.CONTROLLER)]);

    for (const h of hosts.filter((x) => x.switch === sw.name && x.ip !== undefined)) {
      const ip = h.ip!;
      const home = networkOf(networks, ip);
      if (home) {
        // The gateway answers the host's ARP in the switch itself.
        flow(PRIORITY.gatewayArp, { in_port: h.port, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: home.gateway, arp_sha: h.mac }, [
          act.setField('eth_dst', h.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('arp_op', ARP_OP.REPLY),
          act.setField('arp_sha', GATEWAY_MAC), act.setField('arp_spa', home.gateway), act.setField('arp_tha', h.mac), act.setField('arp_tpa', ip),
          act.output(PortNo.IN_PORT),
        ]);
      }
      // ARP for the host goes to the host only: no flooding.
      flow(PRIORITY.arpToHost, { eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: ip }, [act.output(h.port)]);
      flow(PRIORITY.l2, { eth_dst: h.mac }, [act.output(h.port)]);
      flow(PRIORITY.hostRoute, { eth_type: ETH_TYPE.IPV4, ipv4_dst: ip }, [
        act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', h.mac), act.decNwTtl(), act.output(h.port),
      ]);
    }

    for (const target of new Set(networks.map((n) => n.switch))) {
      if (target === sw.name) continue;
      const hops = nextHops(graph, sw.name, target);
      if (hops.length === 0) continue;
      const groupId = nextHopGroupId(topology, target);
      groups.push({ groupId, groupType: GroupType.SELECT, buckets: hops.map((h) => bucket([act.output(h.port)], { weight: 1, watchPort: h.port })) });
      for (const net of networks.filter((n: Network) => n.switch === target)) {
        flow(PRIORITY.subnetRoute, { eth_type: ETH_TYPE.IPV4, ipv4_dst: prefixMatch(net) }, [act.decNwTtl(), act.group(groupId)]);
      }
    }
    out.set(sw.name, { flows, groups });
  }
  return out;
}
