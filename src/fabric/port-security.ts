import type { FlowEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import type { HostInfo } from '../topology/events.js';
import { linkPortsOf, type Topology } from '../topology/model.js';

const SLOT = PIPELINE.portSecurity;
const PORT_SECURITY_COOKIE = SLOT.cookie;
const PRIORITY = SLOT.priority;

type Instructions = FlowEntry['instructions'];
/** Shared instruction lists: their wire form is made once for every entry that has them. */
const ON_TO_FORWARDING: Instructions = [inst.gotoTable(TABLE.forwarding)];
const TO_CONTROLLER: Instructions = [inst.apply([act.output(PortNo.CONTROLLER)])];
const DROP: Instructions = [];
const entry = (priority: number, match: FlowEntry['match'], instructions: Instructions): FlowEntry => ({ tableId: TABLE.ingress, priority, cookie: PORT_SECURITY_COOKIE, match, instructions });

/**
 * Table 0 of a declared switch, but for its hosts: frames from its switch-to-switch ports
 * and from the controller (packet-outs to OFPP_TABLE) go on to forwarding; a RARP from any
 * port goes on too (forwarding sends it to the controller: a hypervisor's announcement); any
 * other ARP goes to the controller only (host learning, the ARP proxy), never to another
 * host; everything else is dropped. A tenant thus cannot put a frame on the fabric with a
 * source it does not hold: not a forged ARP sender that would poison a neighbour's cache,
 * not an IPv4 source of another VM. Depends on the file only.
 */
export function planPortSecurity(topology: Topology, sw: string): SwitchTables {
  return {
    flows: [
      ...linkPortsOf(topology, sw).map((port) => entry(PRIORITY.trusted, { in_port: port }, ON_TO_FORWARDING)),
      entry(PRIORITY.trusted, { in_port: PortNo.CONTROLLER }, ON_TO_FORWARDING),
      entry(PRIORITY.announcement, { eth_type: ETH_TYPE.RARP }, ON_TO_FORWARDING),
      entry(PRIORITY.learn, { eth_type: ETH_TYPE.ARP }, TO_CONTROLLER),
      entry(PRIORITY.drop, {}, DROP),
    ],
    groups: [],
  };
}

/**
 * What one host may send, at its port: IPv4 from its own MAC and address, and ARP whose
 * frame source and sender are its own MAC and address (replies and gratuitous ARPs
 * included). None for a host whose address is not known yet: its ARPs reach the controller,
 * which learns it.
 */
export function admitHost(h: Pick<HostInfo, 'mac' | 'ip' | 'port'>, priority: number = PRIORITY.host, cookie: bigint = PORT_SECURITY_COOKIE): FlowEntry[] {
  if (h.ip === undefined) return [];
  const at = { in_port: h.port, eth_src: h.mac };
  return [
    { tableId: TABLE.ingress, priority, cookie, match: { ...at, eth_type: ETH_TYPE.IPV4, ipv4_src: h.ip }, instructions: ON_TO_FORWARDING },
    { tableId: TABLE.ingress, priority, cookie, match: { ...at, eth_type: ETH_TYPE.ARP, arp_sha: h.mac, arp_spa: h.ip }, instructions: ON_TO_FORWARDING },
  ];
}
