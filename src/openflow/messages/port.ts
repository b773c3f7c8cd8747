import { macFromBytes, macToBytes } from '../addresses.js';
import { MessageType } from '../enums.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** ofp_port (§7.2.1), PORT_STATUS (§7.4.3) and PORT_MOD (§7.3.4.3). */

export interface Port {
  portNo: number;
  hwAddr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
}

export interface PortStatus {
  type: MessageType.PORT_STATUS;
  xid: number;
  reason: number;
  port: Port;
}

export interface PortMod {
  type: MessageType.PORT_MOD;
  xid: number;
  portNo: number;
  hwAddr: string;
  config: number;
  mask: number;
  advertise: number;
}

const mac = Buffer.alloc(6);

function writeMac(w: Writer, s: string): void {
  macToBytes(s, mac, 0);
  w.bytes(mac);
}

export const PORT_LEN = 64;

export function writePort(w: Writer, p: Port): void {
  w.u32(p.portNo).zeros(4);
  writeMac(w, p.hwAddr);
  w.zeros(2).fixedString(p.name, 16);
  w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
  w.u32(p.currSpeed).u32(p.maxSpeed);
}

export function readPort(r: Reader): Port {
  const portNo = r.u32('port_no');
  r.skip(4);
  const hwAddr = macFromBytes(r.bytes(6, 'hw_addr'), 0);
  r.skip(2);
  const name = r.fixedString(16, 'port name');
  return {
    portNo, hwAddr, name,
    config: r.u32(), state: r.u32(), curr: r.u32(), advertised: r.u32(), supported: r.u32(), peer: r.u32(),
    currSpeed: r.u32(), maxSpeed: r.u32(),
  };
}

export function writePortStatus(w: Writer, m: PortStatus): void {
  w.u8(m.reason).zeros(7);
  writePort(w, m.port);
}

export function readPortStatus(r: Reader, xid: number): PortStatus {
  const reason = r.u8('reason');
  r.skip(7);
  return { type: MessageType.PORT_STATUS, xid, reason, port: readPort(r) };
}

export function writePortMod(w: Writer, m: PortMod): void {
  w.u32(m.portNo).zeros(4);
  writeMac(w, m.hwAddr);
  w.zeros(2).u32(m.config).u32(m.mask).u32(m.advertise).zeros(4);
}

export function readPortMod(r: Reader, xid: number): PortMod {
  const portNo = r.u32();
  r.skip(4);
  const hwAddr = macFromBytes(r.bytes(6), 0);
  r.skip(2);
  const m: PortMod = { type: MessageType.PORT_MOD, xid, portNo, hwAddr, config: r.u32(), mask: r.u32(), advertise: r.u32() };
  r.skip(4);
  return m;
}
