import { createHmac, timingSafeEqual } from 'node:crypto';
import { ETH_TYPE, buildEthernet } from './ethernet.js';
import { PacketParseError } from './errors.js';

/**
 * The LLDP frames the controller sends out of every switch port and reads back from the
 * neighbour (IEEE 802.1AB). Chassis ID is "dpid:<16 hex>" (subtype 7, locally assigned),
 * Port ID the OpenFlow port number as text (subtype 7), as Ryu and ONOS do in spirit.
 * An organizationally specific TLV carries when the probe was sent and an HMAC-SHA256 of
 * chassis, port and time under the controller's secret (as ONOS signs its probes): a host
 * cannot forge a probe, and can replay one only for a few seconds.
 */
export const LLDP_MULTICAST = '01:80:c2:00:00:0e';

const TLV = { END: 0, CHASSIS_ID: 1, PORT_ID: 2, TTL: 3, ORG_SPECIFIC: 127 } as const;
const LOCALLY_ASSIGNED = 7;
/** OUI and subtype of the signature TLV ("SVS", 1): locally chosen, no registry needed between our own switches. */
const SIGNATURE_OUI = Buffer.from('535653', 'hex');
const SIGNATURE_SUBTYPE = 1;
const MAC_BYTES = 16;

export interface LldpProbe {
  dpid: string;
  port: number;
  ttlSeconds: number;
}

/** A probe as read off the wire, with its signature when it carries one. */
export interface ReceivedProbe extends LldpProbe {
  signature: { sentAtMs: number; mac: Buffer } | undefined;
}

const signatureOf = (key: Buffer, dpid: string, port: number, sentAtMs: number): Buffer =>
  createHmac('sha256', key).update(`${dpid}/${port}/${sentAtMs}`).digest().subarray(0, MAC_BYTES);

/**
 * True when the probe was signed with `key` no more than `maxAgeMs` before `nowMs` (and not
 * in the future by more than that): a forged or stale probe is not evidence of a link.
 */
export function verifyLldp(probe: ReceivedProbe, key: Buffer, nowMs: number, maxAgeMs: number): boolean {
  const sig = probe.signature;
  if (sig === undefined || Math.abs(nowMs - sig.sentAtMs) > maxAgeMs) return false;
  return timingSafeEqual(sig.mac, signatureOf(key, probe.dpid, probe.port, sig.sentAtMs));
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE((type << 9) | value.length);
  return Buffer.concat([head, value]);
}

/** An LLDP probe; signed (with the time `sentAtMs`) when a key is given. */
export function buildLldp(probe: LldpProbe, srcMac: string, signing?: { key: Buffer; sentAtMs: number }): Buffer {
  const ttl = Buffer.alloc(2);
  ttl.writeUInt16BE(probe.ttlSeconds);
  const tlvs = [
    tlv(TLV.CHASSIS_ID, Buffer.concat([Buffer.from([LOCALLY_ASSIGNED]), Buffer.from(`dpid:${probe.dpid}`)])),
    tlv(TLV.PORT_ID, Buffer.concat([Buffer.from([LOCALLY_ASSIGNED]), Buffer.from(String(probe.port))])),
    tlv(TLV.TTL, ttl),
  ];
  if (signing) {
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(signing.sentAtMs));
    const mac = signatureOf(signing.key, probe.dpid, probe.port, signing.sentAtMs);
    tlvs.push(tlv(TLV.ORG_SPECIFIC, Buffer.concat([SIGNATURE_OUI, Buffer.from([SIGNATURE_SUBTYPE]), time, mac])));
  }
  const payload = Buffer.concat([...tlvs, tlv(TLV.END, Buffer.alloc(0))]);
  return buildEthernet(LLDP_MULTICAST, srcMac, ETH_TYPE.LLDP, payload);
}

/** Returns the probe, or undefined for LLDP frames that are not ours (from real neighbours). */
export function parseLldp(payload: Buffer): ReceivedProbe | undefined {
  let at = 0;
  let dpid: string | undefined;
  let port: number | undefined;
  let ttlSeconds = 0;
  let signature: ReceivedProbe['signature'];
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
    } else if (type === TLV.ORG_SPECIFIC && len === 4 + 8 + MAC_BYTES && value.subarray(0, 3).equals(SIGNATURE_OUI) && value[3] === SIGNATURE_SUBTYPE) {
      const sentAt = value.readBigUInt64BE(4);
      if (sentAt <= BigInt(Number.MAX_SAFE_INTEGER)) signature = { sentAtMs: Number(sentAt), mac: Buffer.from(value.subarray(12)) };
    }
  }
  return dpid !== undefined && port !== undefined ? { dpid, port, ttlSeconds, signature } : undefined;
}
