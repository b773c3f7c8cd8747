import { ETH_TYPE, buildEthernet } from './ethernet.js';
import { PacketParseError } from './errors.js';

/**
 * The LLDP frames the controller sends out of every switch port and reads back from the
 * neighbour (IEEE 802.1AB). Chassis ID is "dpid:<16 hex>" (subtype 7, locally assigned),
 * Port ID the OpenFlow port number as text (subtype 7), as Ryu and ONOS do in spirit.
 */
export const LLDP_MULTICAST = '01:80:c2:00:00:0e';

const TLV = { END: 0, CHASSIS_ID: 1, PORT_ID: 2, TTL: 3 } as const;
const LOCALLY_ASSIGNED = 7;

export interface LldpProbe {
  dpid: string;
  port: number;
  ttlSeconds: number;
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE((type << 9) | value.length);
  return Buffer.concat([head, value]);
}

export function buildLldp(probe: LldpProbe, srcMac: string): Buffer {
  const ttl = Buffer.alloc(2);
  ttl.writeUInt16BE(probe.ttlSeconds);
  const payload = Buffer.concat([
    tlv(TLV.CHASSIS_ID, Buffer.concat([Buffer.from([LOCALLY_ASSIGNED]), Buffer.from(`dpid:${probe.dpid}`)])),
    tlv(TLV.PORT_ID, Buffer.concat([Buffer.from([LOCALLY_ASSIGNED]), Buffer.from(String(probe.port))])),
    tlv(TLV.TTL, ttl),
    tlv(TLV.END, Buffer.alloc(0)),
  ]);
  return buildEthernet(LLDP_MULTICAST, srcMac, ETH_TYPE.LLDP, payload);
}

/** Returns the probe, or undefined for LLDP frames that are not ours (from real neighbours). */
export function parseLldp(payload: Buffer): LldpProbe | undefined {
  let at = 0;
  let dpid: string | undefined;
  let port: number | undefined;
  let ttlSeconds = 0;
  while (at + 2 <= payload.length) {
    const head = payload.readUInt16BE(at);
    const type = head >> 9;
    const len = head & 0x1ff;
    const value = payload.subarray(at + 2, at + 2 + len);
    if (value.length < len) throw new PacketParseError('truncated LLDP TLV');
    at += 2 + len;
    if (type === TLV.END) break;
    if (type === TLV.CHASSIS_ID && value[0] === LOCALLY_ASSIGNED) {
      const text = value.subarray(1).toString('latin1');
      if (/^dpid:[0-9a-f]{16}$/.test(text)) dpid = text.slice(5);
    } else if (type === TLV.PORT_ID && value[0] === LOCALLY_ASSIGNED) {
      const text = value.subarray(1).toString('latin1');
      if (/^\d{1,10}$/.test(text)) port = Number(text);
    } else if (type === TLV.TTL && len === 2) {
      ttlSeconds = value.readUInt16BE(0);
    }
  }
  return dpid !== undefined && port !== undefined ? { dpid, port, ttlSeconds } : undefined;
}
