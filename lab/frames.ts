import { ETH_TYPE, buildEthernet } from '../src/packet/ethernet.js';
import { GATEWAY_MAC } from '../src/topology/model.js';

/** An ICMP echo (header only) from `srcIp` to `dstIp`, sent by `mac` to the gateway: what a VM sends to a host of another subnet. */
export function icmpEchoFrame(mac: string, srcIp: string, dstIp: string): Buffer {
  const ip = Buffer.alloc(28);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(28, 2);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(1, 9);
  Buffer.from(srcIp.split('.').map(Number)).copy(ip, 12);
  Buffer.from(dstIp.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt8(8, 20);
  return buildEthernet(GATEWAY_MAC, mac, ETH_TYPE.IPV4, ip);
}
