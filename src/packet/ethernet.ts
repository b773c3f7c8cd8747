import { macFromBytes, macToBytes } from '../openflow/index.js';
import { PacketParseError } from './errors.js';

export const ETH_TYPE = { IPV4: 0x0800, ARP: 0x0806, RARP: 0x8035, VLAN: 0x8100, IPV6: 0x86dd, LLDP: 0x88cc } as const;
export const ETH_HEADER_LEN = 14;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

export interface EthernetFrame {
  dst: string;
  src: string;
  /** The EtherType after any 802.1Q tag. */
  ethType: number;
  vlan?: number;
  payload: Buffer;
}

export function parseEthernet(buf: Buffer): EthernetFrame {
  if (buf.length < ETH_HEADER_LEN) throw new PacketParseError(`ethernet frame of ${buf.length} bytes`);
  let ethType = buf.readUInt16BE(12);
  let at = 14;
  let vlan: number | undefined;
  if (ethType === ETH_TYPE.VLAN) {
    if (buf.length < 18) throw new PacketParseError('truncated 802.1Q tag');
    vlan = buf.readUInt16BE(14) & 0x0fff;
    ethType = buf.readUInt16BE(16);
    at = 18;
  }
  const frame: EthernetFrame = { dst: macFromBytes(buf, 0), src: macFromBytes(buf, 6), ethType, payload: buf.subarray(at) };
  if (vlan !== undefined) frame.vlan = vlan;
  return frame;
}

export function writeEthernetHeader(out: Buffer, dst: string, src: string, ethType: number): void {
  macToBytes(dst, out, 0);
  macToBytes(src, out, 6);
  out.writeUInt16BE(ethType, 12);
}

export function buildEthernet(dst: string, src: string, ethType: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(ETH_HEADER_LEN + payload.length);
  writeEthernetHeader(out, dst, src, ethType);
  payload.copy(out, ETH_HEADER_LEN);
  return out;
}
