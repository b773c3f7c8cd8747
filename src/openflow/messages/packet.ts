import { readActions, writeActions, type Action } from '../actions.js';
import { MessageType, OFP_NO_BUFFER, PortNo } from '../enums.js';
import { OfpDecodeError } from '../errors.js';
import { readMatch, writeMatch, type Match } from '../match.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** PACKET_IN (§7.4.1) and PACKET_OUT (§7.3.7). */

export interface PacketIn {
  type: MessageType.PACKET_IN;
  xid: number;
  bufferId: number;
  totalLen: number;
  reason: number;
  tableId: number;
  cookie: bigint;
  match: Match;
  data: Buffer;
}

export interface PacketOut {
  type: MessageType.PACKET_OUT;
  xid: number;
  bufferId?: number;
  inPort?: number;
  actions: Action[];
  data: Buffer;
}

export function writePacketIn(w: Writer, m: PacketIn): void {
  w.u32(m.bufferId).u16(m.totalLen).u8(m.reason).u8(m.tableId).u64(m.cookie);
  writeMatch(w, m.match);
  w.zeros(2).bytes(m.data);
}

/**
 * The packet bytes are a view into the socket's receive chunk (messages are decoded where
 * they sit): a handler that keeps them past its own synchronous call must copy them.
 */
export function readPacketIn(r: Reader, xid: number): PacketIn {
  const bufferId = r.u32('buffer_id');
  const totalLen = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const match = readMatch(r);
  r.skip(2, 'packet_in padding');
  return { type: MessageType.PACKET_IN, xid, bufferId, totalLen, reason, tableId, cookie, match, data: r.bytes(r.remaining) };
}

export function writePacketOut(w: Writer, m: PacketOut): void {
  w.u32(m.bufferId ?? OFP_NO_BUFFER).u32(m.inPort ?? PortNo.CONTROLLER).u16(0).zeros(6);
  const actionsStart = w.offset;
  writeActions(w, m.actions);
  w.patchU16(actionsStart - 8, w.offset - actionsStart);
  w.bytes(m.data);
}

export function readPacketOut(r: Reader, xid: number): PacketOut {
  const bufferId = r.u32();
  const inPort = r.u32();
  const actionsLen = r.u16();
  r.skip(6);
  if (actionsLen > r.remaining) throw new OfpDecodeError('bad_length', `actions_len ${actionsLen} overruns the message`, r.offset);
  const actions = readActions(r.sub(actionsLen, 'actions'));
  return { type: MessageType.PACKET_OUT, xid, bufferId, inPort, actions, data: r.rest() };
}
