import type { SwitchTables } from '../controller/flow-tables.js';
import { simulate, type SimOptions, type SimPacket, type SimResult } from '../controller/simulator.js';
import { plannerOf } from '../controller/pipeline.js';
import type { SwitchRef } from './events.js';

/** What a trace reports of the packet as it leaves each switch. */
export interface TracedPacket {
  eth_src: string | undefined;
  eth_dst: string | undefined;
  ipv4_src: string | undefined;
  ipv4_dst: string | undefined;
  ttl: number | undefined;
  /** An ARP packet's op and addresses, as they leave (a reply the switch made from a request). */
  arp?: { op: number; sha: string; spa: string; tha: string; tpa: string };
  /** An IPv6 packet's addresses. */
  ipv6?: { src: string; dst: string };
  /** A neighbour discovery message's type and fields, as it leaves (an advertisement the switch made from a solicitation). */
  nd?: { type: number; target: string; sll: string | undefined; tll: string | undefined; flags: number | undefined; optionType: number | undefined };
}

export interface TraceHop {
  switch: string;
  inPort: number;
  /** Where it left; 'controller' for a packet-in. */
  outPort: number | 'controller';
  packet: TracedPacket;
  /** At an ECMP group: the ports of every live bucket (the trace follows `outPort`). */
  alternatives?: number[];
}

type TraceVerdict = 'delivered' | 'dropped' | 'controller' | 'loop';

export interface TraceResult {
  hops: TraceHop[];
  result: TraceVerdict;
  /** Where it ended: the port it was delivered to, or the switch and in-port where it was dropped or punted. */
  at: SwitchRef;
  /** Why it was dropped (no entry matched, TTL expired, a switch with no tables). */
  reason?: string;
}

/** The network a trace walks: each switch's tables and which ports are links, and to where. */
export interface TraceNetwork {
  tables(sw: string): SwitchTables | undefined;
  /** The other end of a link that is up, or undefined for a host port. */
  peer(at: SwitchRef): SwitchRef | undefined;
  portLive(at: SwitchRef): boolean;
}

export interface TraceOptions {
  /** Which live bucket to follow at each select group; the first by default. */
  chooseBucket?: (sw: string, groupId: number, ports: number[]) => number;
  maxHops?: number;
}

const traced = (p: SimPacket): TracedPacket => ({
  eth_src: p.eth_src as string | undefined,
  eth_dst: p.eth_dst as string | undefined,
  ipv4_src: p.ipv4_src as string | undefined,
  ipv4_dst: p.ipv4_dst as string | undefined,
  ttl: p.ttl,
  ...(p.arp_op === undefined ? {} : { arp: { op: Number(p.arp_op), sha: String(p.arp_sha), spa: String(p.arp_spa), tha: String(p.arp_tha), tpa: String(p.arp_tpa) } }),
  ...(p.ipv6_src === undefined ? {} : { ipv6: { src: String(p.ipv6_src), dst: String(p.ipv6_dst) } }),
  ...(p.ipv6_nd_target === undefined ? {} : {
    nd: {
      type: Number(p.icmpv6_type), target: String(p.ipv6_nd_target),
      sll: p.ipv6_nd_sll as string | undefined, tll: p.ipv6_nd_tll as string | undefined,
      flags: p.nd_reserved as number | undefined, optionType: p.nd_options_type as number | undefined,
    },
  }),
});

/**
 * Follows one packet from a switch port through the planned tables and the links, switch
 * after switch, until it reaches a host port, the controller, a drop, or a loop. Pure.
 */
export function trace(net: TraceNetwork, start: SwitchRef, packet: SimPacket, options: TraceOptions = {}): TraceResult {
  const hops: TraceHop[] = [];
  const seen = new Set<string>();
  let at = start;
  let pkt = packet;
  for (let n = 0; n < (options.maxHops ?? 64); n++) {
    const key = `${at.switch}:${at.port}:${JSON.stringify(pkt, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    if (seen.has(key)) return { hops, result: 'loop', at };
    seen.add(key);
    const tables = net.tables(at.switch);
    if (!tables) return { hops, result: 'dropped', at, reason: `no tables for ${at.switch}` };
    const here = at.switch;
    const sim: SimOptions = {
      portLive: (port) => net.portLive({ switch: here, port }),
      ...(options.chooseBucket ? { chooseBucket: (groupId: number, ports: number[]) => options.chooseBucket!(here, groupId, ports) } : {}),
    };
    const r = simulate(tables, at.port, pkt, sim);
    const out = r.outputs[0];
    if (!out) return { hops, result: 'dropped', at, reason: dropReason(r) };
    hops.push({ switch: at.switch, inPort: at.port, outPort: out.port, packet: traced(out.packet), ...(out.alternatives ? { alternatives: out.alternatives } : {}) });
    if (out.port === 'controller') return { hops, result: 'controller', at };
    const next = net.peer({ switch: at.switch, port: out.port });
    if (!next) return { hops, result: 'delivered', at: { switch: at.switch, port: out.port } };
    at = next;
    pkt = out.packet;
  }
  return { hops, result: 'loop', at, reason: `more than ${options.maxHops ?? 64} hops` };
}

/** Why a packet went no further at a switch, in words. */
function dropReason(r: SimResult): string {
  if (r.dropped === 'ttl-expired') return 'TTL expired';
  const last = r.entries.at(-1);
  if (r.dropped === 'dropped-by-entry' && last) return `dropped by ${plannerOf(last.cookie) ?? `cookie 0x${last.cookie.toString(16)}`} (table ${last.tableId}, priority ${last.priority})`;
  return 'no entry matched';
}
