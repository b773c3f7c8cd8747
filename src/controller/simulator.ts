import {
  ActionType, GroupType, InstructionType, OXM_FIELDS, PortNo, ipv6ToBytes, type Action, type Match, type OxmFieldName,
} from '../openflow/index.js';
import type { FlowEntry, GroupEntry, SwitchTables } from './flow-tables.js';

/**
 * A pure simulator of the OpenFlow 1.3 pipeline over a switch's tables, in the spirit of
 * Faucet's fakeoftable: a packet (its header fields, named as in matches) enters at a port,
 * the highest-priority entry of table 0 that matches it applies its instructions (goto-table
 * followed), and what leaves is listed: each output with the packet as it was then. Used by
 * `svcswitch trace` and by unit tests that check forwarding without a switch; checked against
 * `ovs-appctl ofproto/trace` in Mininet.
 */

/** Header fields of a packet, by their OXM names; absent means the packet has no such field. */
export type SimPacket = Partial<Record<OxmFieldName, number | bigint | string>> & { ttl?: number };

interface SimOutput {
  /** An OpenFlow port, or 'controller'. IN_PORT is resolved to the port the packet came in on. */
  port: number | 'controller';
  packet: SimPacket;
  /** At a select group, the other live buckets' ports (ECMP alternatives), for the report. */
  alternatives?: number[];
}

export interface SimResult {
  /** The entries that matched, table by table. */
  entries: FlowEntry[];
  outputs: SimOutput[];
  /** Why nothing (more) left: no entry matched, the entry that matched outputs nothing (a drop entry, such as port security's), or the TTL ran out. */
  dropped?: 'no-match' | 'dropped-by-entry' | 'ttl-expired';
}

export interface SimOptions {
  /** Whether a port is live (for select and fast-failover buckets); all live by default. */
  portLive?: (port: number) => boolean;
  /** Which live bucket of a select group to follow (OVS hashes); the first by default. */
  chooseBucket?: (groupId: number, live: number[]) => number;
}

const masked = (v: unknown): v is { value: unknown; mask: unknown } => typeof v === 'object' && v !== null && 'value' in v && 'mask' in v;

const v6 = Buffer.alloc(16);

function toBig(field: string, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  const s = String(v);
  if (OXM_FIELDS[field as OxmFieldName]?.kind === 'ipv6') {
    ipv6ToBytes(s, v6, 0);
    return (v6.readBigUInt64BE(0) << 64n) | v6.readBigUInt64BE(8);
  }
  if (s.includes(':')) return BigInt(`0x${s.replace(/:/g, '') || '0'}`); // MAC
  if (s.includes('.')) return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n); // IPv4
  throw new Error(`simulator: cannot compare ${field}=${s}`);
}

/** True when every field of `match` holds for `packet` (masks applied). */
function matches(match: Match, packet: SimPacket): boolean {
  for (const [field, want] of Object.entries(match)) {
    if (field === 'other' || want === undefined) continue;
    const have = packet[field as OxmFieldName];
    if (have === undefined) return false;
    if (masked(want)) {
      const mask = toBig(field, want.mask);
      if ((toBig(field, have) & mask) !== (toBig(field, want.value) & mask)) return false;
    } else if (toBig(field, have) !== toBig(field, want)) return false;
  }
  return true;
}

/** The entry a packet hits in one table: highest priority first (ties: the first listed). */
function lookup(flows: readonly FlowEntry[], tableId: number, packet: SimPacket): FlowEntry | undefined {
  let best: FlowEntry | undefined;
  for (const f of flows) {
    if (f.tableId !== tableId || (best !== undefined && f.priority <= best.priority)) continue;
    if (matches(f.match, packet)) best = f;
  }
  return best;
}

/** Runs one packet through a switch's tables. */
export function simulate(tables: SwitchTables, inPort: number, packet: SimPacket, options: SimOptions = {}): SimResult {
  const result: SimResult = { entries: [], outputs: [] };
  let pkt: SimPacket = { ...packet, in_port: inPort };
  let tableId = 0;
  for (let guard = 0; guard < 255; guard++) {
    const entry = lookup(tables.flows, tableId, pkt);
    if (!entry) {
      if (result.entries.length === 0 || result.outputs.length === 0) result.dropped ??= 'no-match';
      return result;
    }
    result.entries.push(entry);
    let next: number | undefined;
    for (const ins of entry.instructions) {
      if (ins.type === InstructionType.APPLY_ACTIONS || ins.type === InstructionType.WRITE_ACTIONS) {
        const after = applyActions(ins.actions, pkt, inPort, tables.groups, options, result);
        if (after === undefined) return result;
        pkt = after;
      } else if (ins.type === InstructionType.GOTO_TABLE) {
        next = ins.tableId;
      }
    }
    if (next === undefined) {
      if (result.outputs.length === 0) result.dropped ??= 'dropped-by-entry';
      return result;
    }
    tableId = next;
  }
  return result;
}

/** Applies actions in order; returns the packet after them, or undefined when it died (TTL). */
function applyActions(actions: readonly Action[], packet: SimPacket, inPort: number, groups: readonly GroupEntry[], options: SimOptions, result: SimResult): SimPacket | undefined {
  let pkt = packet;
  for (const a of actions) {
    switch (a.type) {
      case ActionType.SET_FIELD:
        // Open vSwitch rewrites an ND message's option only where it has one (packet_set_nd): a unicast probe carries none.
        if (ND_OPTION_FIELDS.has(a.field) && !pkt.nd_options_type) break;
        pkt = a.field === 'nd_options_type' ? retypeNdOption(pkt, Number(a.value)) : { ...pkt, [a.field]: a.value };
        break;
      case ActionType.DEC_NW_TTL: {
        const ttl = pkt.ttl ?? 64;
        if (ttl <= 1) {
          result.dropped = 'ttl-expired';
          return undefined;
        }
        pkt = { ...pkt, ttl: ttl - 1 };
        break;
      }
      case ActionType.SET_NW_TTL:
        pkt = { ...pkt, ttl: a.ttl };
        break;
      case ActionType.OUTPUT:
        result.outputs.push({ port: outPort(a.port, inPort), packet: withoutInPort(pkt) });
        break;
      case ActionType.GROUP:
        applyGroup(a.groupId, pkt, inPort, groups, options, result);
        break;
      default:
        break;
    }
  }
  return pkt;
}

function applyGroup(groupId: number, pkt: SimPacket, inPort: number, groups: readonly GroupEntry[], options: SimOptions, result: SimResult): void {
  const group = groups.find((g) => g.groupId === groupId);
  if (!group) {
    result.dropped = 'no-match';
    return;
  }
  const live = (b: GroupEntry['buckets'][number]): boolean => b.watchPort === PortNo.ANY || (options.portLive?.(b.watchPort) ?? true);
  const firstPort = (b: GroupEntry['buckets'][number]): number | undefined => b.actions.flatMap((x) => (x.type === ActionType.OUTPUT ? [x.port] : []))[0];
  let chosen: GroupEntry['buckets'] = [];
  let alternatives: number[] | undefined;
  if (group.groupType === GroupType.ALL) chosen = group.buckets;
  else if (group.groupType === GroupType.FF) chosen = group.buckets.filter(live).slice(0, 1);
  else if (group.groupType === GroupType.SELECT) {
    const liveBuckets = group.buckets.filter(live);
    if (liveBuckets.length > 0) {
      const ports = liveBuckets.map((b) => firstPort(b) ?? -1);
      const i = options.chooseBucket?.(groupId, ports) ?? 0;
      chosen = [liveBuckets[Math.min(Math.max(0, i), liveBuckets.length - 1)]!];
      alternatives = ports;
    }
  } else chosen = group.buckets.slice(0, 1); // INDIRECT
  if (chosen.length === 0) {
    result.dropped = 'no-match';
    return;
  }
  for (const b of chosen) {
    const before = result.outputs.length;
    applyActions(b.actions, pkt, inPort, groups, options, result);
    if (alternatives) for (const o of result.outputs.slice(before)) o.alternatives = alternatives;
  }
}

const outPort = (port: number, inPort: number): number | 'controller' => (port === PortNo.CONTROLLER ? 'controller' : port === PortNo.IN_PORT ? inPort : port);

function withoutInPort(p: SimPacket): SimPacket {
  const { in_port: _ignored, ...rest } = p;
  return rest;
}

const ND_OPTION_FIELDS: ReadonlySet<string> = new Set(['nd_options_type', 'ipv6_nd_sll', 'ipv6_nd_tll']);

/**
 * Open vSwitch's `nd_options_type` rewrites the type byte of an ND message's first option:
 * a source link-layer address option becomes a target one (2) or back (1), its bytes kept.
 */
function retypeNdOption(pkt: SimPacket, type: number): SimPacket {
  const { ipv6_nd_sll: sll, ipv6_nd_tll: tll, ...rest } = pkt;
  const lla = type === 2 ? sll ?? tll : tll ?? sll;
  if (lla === undefined) return { ...pkt, nd_options_type: type };
  return { ...rest, nd_options_type: type, ...(type === 2 ? { ipv6_nd_tll: lla } : { ipv6_nd_sll: lla }) };
}
