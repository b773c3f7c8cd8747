import { FlowModCommand, MessageType, OFP_NO_BUFFER, PortNo, GroupId } from '../enums.js';
import { readInstructions, writeInstructions, type Instruction } from '../instructions.js';
import { readMatch, writeMatch, type Match } from '../match.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** FLOW_MOD (§7.3.4.2) and FLOW_REMOVED (§7.4.2). */

export interface FlowMod {
  type: MessageType.FLOW_MOD;
  xid: number;
  cookie: bigint;
  cookieMask: bigint;
  tableId: number;
  command: FlowModCommand;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  flags: number;
  match: Match;
  instructions: Instruction[];
}

/** A FLOW_MOD with the defaults every controller uses: ADD in table 0, no timeouts, no buffer. */
export function flowMod(fields: Partial<Omit<FlowMod, 'type'>> & Pick<FlowMod, 'match'>): FlowMod {
  return {
    type: MessageType.FLOW_MOD,
    xid: 0,
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: FlowModCommand.ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 0x8000,
    bufferId: OFP_NO_BUFFER,
    outPort: PortNo.ANY,
    outGroup: GroupId.ANY,
    flags: 0,
    instructions: [],
    ...fields,
  };
}

export interface FlowRemoved {
  type: MessageType.FLOW_REMOVED;
  xid: number;
  cookie: bigint;
  priority: number;
  reason: number;
  tableId: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
}

export function writeFlowMod(w: Writer, m: FlowMod): void {
  w.u64(m.cookie).u64(m.cookieMask).u8(m.tableId).u8(m.command);
  w.u16(m.idleTimeout).u16(m.hardTimeout).u16(m.priority);
  w.u32(m.bufferId).u32(m.outPort).u32(m.outGroup).u16(m.flags).zeros(2);
  writeMatch(w, m.match);
  writeInstructions(w, m.instructions);
}

export function readFlowMod(r: Reader, xid: number): FlowMod {
  const cookie = r.u64('cookie');
  const cookieMask = r.u64();
  const tableId = r.u8();
  const command = r.u8() as FlowModCommand;
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const priority = r.u16();
  const bufferId = r.u32();
  const outPort = r.u32();
  const outGroup = r.u32();
  const flags = r.u16();
  r.skip(2);
  const match = readMatch(r);
  const instructions = readInstructions(r);
  return {
    type: MessageType.FLOW_MOD, xid, cookie, cookieMask, tableId, command, idleTimeout, hardTimeout, priority,
    bufferId, outPort, outGroup, flags, match, instructions,
  };
}

export function writeFlowRemoved(w: Writer, m: FlowRemoved): void {
  w.u64(m.cookie).u16(m.priority).u8(m.reason).u8(m.tableId).u32(m.durationSec).u32(m.durationNsec);
  w.u16(m.idleTimeout).u16(m.hardTimeout).u64(m.packetCount).u64(m.byteCount);
  writeMatch(w, m.match);
}

export function readFlowRemoved(r: Reader, xid: number): FlowRemoved {
  return {
    type: MessageType.FLOW_REMOVED, xid,
    cookie: r.u64(), priority: r.u16(), reason: r.u8(), tableId: r.u8(), durationSec: r.u32(), durationNsec: r.u32(),
    idleTimeout: r.u16(), hardTimeout: r.u16(), packetCount: r.u64(), byteCount: r.u64(), match: readMatch(r),
  };
}
