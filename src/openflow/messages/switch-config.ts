import { MessageType } from '../enums.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** Switch-wide configuration: FEATURES, GET/SET_CONFIG, TABLE_MOD, ROLE, ASYNC (§7.3.1-7.3.10). */

export interface FeaturesReply {
  type: MessageType.FEATURES_REPLY;
  xid: number;
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  auxiliaryId: number;
  capabilities: number;
}

export interface SwitchConfig {
  type: MessageType.GET_CONFIG_REPLY | MessageType.SET_CONFIG;
  xid: number;
  flags: number;
  missSendLen: number;
}

export interface TableMod {
  type: MessageType.TABLE_MOD;
  xid: number;
  tableId: number;
  config: number;
}

export interface Role {
  type: MessageType.ROLE_REQUEST | MessageType.ROLE_REPLY;
  xid: number;
  role: number;
  generationId: bigint;
}

/** Bit masks of the reasons each asynchronous message is sent for: [master/equal, slave]. */
export interface AsyncConfig {
  type: MessageType.GET_ASYNC_REPLY | MessageType.SET_ASYNC;
  xid: number;
  packetInMask: [number, number];
  portStatusMask: [number, number];
  flowRemovedMask: [number, number];
}

export function writeFeaturesReply(w: Writer, m: FeaturesReply): void {
  w.u64(m.datapathId).u32(m.nBuffers).u8(m.nTables).u8(m.auxiliaryId).zeros(2).u32(m.capabilities).u32(0);
}

export function readFeaturesReply(r: Reader, xid: number): FeaturesReply {
  const datapathId = r.u64('datapath_id');
  const nBuffers = r.u32();
  const nTables = r.u8();
  const auxiliaryId = r.u8();
  r.skip(2);
  const capabilities = r.u32();
  r.skip(4, 'reserved');
  return { type: MessageType.FEATURES_REPLY, xid, datapathId, nBuffers, nTables, auxiliaryId, capabilities };
}

export function writeSwitchConfig(w: Writer, m: SwitchConfig): void {
  w.u16(m.flags).u16(m.missSendLen);
}

export function readSwitchConfig(r: Reader, xid: number, type: SwitchConfig['type']): SwitchConfig {
  return { type, xid, flags: r.u16(), missSendLen: r.u16() };
}

export function writeTableMod(w: Writer, m: TableMod): void {
  w.u8(m.tableId).zeros(3).u32(m.config);
}

export function readTableMod(r: Reader, xid: number): TableMod {
  const tableId = r.u8();
  r.skip(3);
  return { type: MessageType.TABLE_MOD, xid, tableId, config: r.u32() };
}

export function writeRole(w: Writer, m: Role): void {
  w.u32(m.role).zeros(4).u64(m.generationId);
}

export function readRole(r: Reader, xid: number, type: Role['type']): Role {
  const role = r.u32();
  r.skip(4);
  return { type, xid, role, generationId: r.u64() };
}

export function writeAsyncConfig(w: Writer, m: AsyncConfig): void {
  for (const pair of [m.packetInMask, m.portStatusMask, m.flowRemovedMask]) w.u32(pair[0]).u32(pair[1]);
}

export function readAsyncConfig(r: Reader, xid: number, type: AsyncConfig['type']): AsyncConfig {
  const pair = (): [number, number] => [r.u32(), r.u32()];
  return { type, xid, packetInMask: pair(), portStatusMask: pair(), flowRemovedMask: pair() };
}
