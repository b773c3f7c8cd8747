import { ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, macFromBytes, macToBytes } from './addresses.js';
import { MatchType, OFPVID_NONE, OxmClass } from './enums.js';
import { MatchPrerequisiteError, OfpDecodeError, OfpEncodeError } from './errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * OXM match fields (OpenFlow 1.3.5 §7.2.3.7): every OFPXMC_OPENFLOW_BASIC field, by the
 * names Ryu and the spec use, and two of Open vSwitch's extension class 0x1000 (ERICOXM,
 * since OVS 2.11) that let a switch turn a neighbour solicitation into an advertisement: the
 * R/S/O flags word and the type of the first ND option. `len` is the value width in bytes;
 * `oxmClass`, when given, the class (OFPXMC_OPENFLOW_BASIC otherwise).
 */
/** Open vSwitch's OXM class for Ericsson's ND extension fields (`ERICOXM_OF_*` in its meta-flow.h). */
export const ERICOXM_CLASS = 0x1000;

export const OXM_FIELDS = {
  in_port: { code: 0, len: 4, kind: 'uint', maskable: false },
  in_phy_port: { code: 1, len: 4, kind: 'uint', maskable: false },
  metadata: { code: 2, len: 8, kind: 'u64', maskable: true },
  eth_dst: { code: 3, len: 6, kind: 'mac', maskable: true },
  eth_src: { code: 4, len: 6, kind: 'mac', maskable: true },
  eth_type: { code: 5, len: 2, kind: 'uint', maskable: false },
  vlan_vid: { code: 6, len: 2, kind: 'uint', maskable: true },
  vlan_pcp: { code: 7, len: 1, kind: 'uint', maskable: false },
  ip_dscp: { code: 8, len: 1, kind: 'uint', maskable: false },
  ip_ecn: { code: 9, len: 1, kind: 'uint', maskable: false },
  ip_proto: { code: 10, len: 1, kind: 'uint', maskable: false },
  ipv4_src: { code: 11, len: 4, kind: 'ipv4', maskable: true },
  ipv4_dst: { code: 12, len: 4, kind: 'ipv4', maskable: true },
  tcp_src: { code: 13, len: 2, kind: 'uint', maskable: false },
  tcp_dst: { code: 14, len: 2, kind: 'uint', maskable: false },
  udp_src: { code: 15, len: 2, kind: 'uint', maskable: false },
  udp_dst: { code: 16, len: 2, kind: 'uint', maskable: false },
  sctp_src: { code: 17, len: 2, kind: 'uint', maskable: false },
  sctp_dst: { code: 18, len: 2, kind: 'uint', maskable: false },
  icmpv4_type: { code: 19, len: 1, kind: 'uint', maskable: false },
  icmpv4_code: { code: 20, len: 1, kind: 'uint', maskable: false },
  arp_op: { code: 21, len: 2, kind: 'uint', maskable: false },
  arp_spa: { code: 22, len: 4, kind: 'ipv4', maskable: true },
  arp_tpa: { code: 23, len: 4, kind: 'ipv4', maskable: true },
  arp_sha: { code: 24, len: 6, kind: 'mac', maskable: true },
  arp_tha: { code: 25, len: 6, kind: 'mac', maskable: true },
  ipv6_src: { code: 26, len: 16, kind: 'ipv6', maskable: true },
  ipv6_dst: { code: 27, len: 16, kind: 'ipv6', maskable: true },
  ipv6_flabel: { code: 28, len: 4, kind: 'uint', maskable: true },
  icmpv6_type: { code: 29, len: 1, kind: 'uint', maskable: false },
  icmpv6_code: { code: 30, len: 1, kind: 'uint', maskable: false },
  ipv6_nd_target: { code: 31, len: 16, kind: 'ipv6', maskable: false },
  ipv6_nd_sll: { code: 32, len: 6, kind: 'mac', maskable: false },
  ipv6_nd_tll: { code: 33, len: 6, kind: 'mac', maskable: false },
  mpls_label: { code: 34, len: 4, kind: 'uint', maskable: false },
  mpls_tc: { code: 35, len: 1, kind: 'uint', maskable: false },
  mpls_bos: { code: 36, len: 1, kind: 'uint', maskable: false },
  pbb_isid: { code: 37, len: 3, kind: 'uint', maskable: true },
  tunnel_id: { code: 38, len: 8, kind: 'u64', maskable: true },
  ipv6_exthdr: { code: 39, len: 2, kind: 'uint', maskable: true },
  nd_reserved: { oxmClass: ERICOXM_CLASS, code: 1, len: 4, kind: 'uint', maskable: false },
  nd_options_type: { oxmClass: ERICOXM_CLASS, code: 2, len: 1, kind: 'uint', maskable: false },
} as const;

export type OxmFieldName = keyof typeof OXM_FIELDS;
type OxmKind = (typeof OXM_FIELDS)[OxmFieldName]['kind'];
interface KindValue {
  uint: number;
  u64: bigint;
  mac: string;
  ipv4: string;
  ipv6: string;
}
export type OxmValue<K extends OxmFieldName> = KindValue[(typeof OXM_FIELDS)[K]['kind']];
export interface Masked<T> {
  value: T;
  mask: T;
}

/** An OXM this codec does not interpret (another class, or a basic field beyond 1.3.5). */
export interface RawOxm {
  oxmClass: number;
  field: number;
  hasMask: boolean;
  payload: Buffer;
}

/** A match in the style of Ryu's OFPMatch(**kwargs): `{ eth_type: 0x0800, ipv4_dst: '10.0.0.1' }`. */
export type Match = { [K in OxmFieldName]?: OxmValue<K> | Masked<OxmValue<K>> } & {
  /** Non-basic OXMs, kept byte for byte so that a decoded match re-encodes identically. */
  other?: RawOxm[];
};

type FieldDef = { readonly oxmClass?: number; readonly code: number; readonly len: number; readonly kind: OxmKind; readonly maskable: boolean };
const classOf = (def: FieldDef): number => def.oxmClass ?? OxmClass.OPENFLOW_BASIC;
/** By class and field number (class << 7 | field): one lookup per OXM read, for every packet-in. */
const FIELD_BY_KEY = new Map<number, [OxmFieldName, FieldDef]>();
for (const [name, def] of Object.entries(OXM_FIELDS) as Array<[OxmFieldName, FieldDef]>) {
  FIELD_BY_KEY.set(classOf(def) * 128 + def.code, [name, def]);
}

// ---------------------------------------------------------------------------------------
// Prerequisites (§7.2.3.8). Checked before encoding, so OVS never has to answer BAD_PREREQ.

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;

type Rule = [description: string, holds: (m: Match) => boolean];
const exact = (m: Match, k: OxmFieldName): unknown => {
  const v = m[k];
  return typeof v === 'object' ? undefined : v;
};
const ethIs = (...types: number[]): Rule => [
  `eth_type=${types.map((t) => '0x' + t.toString(16).padStart(4, '0')).join(' or ')}`,
  (m) => types.includes(exact(m, 'eth_type') as number),
];
const protoIs = (proto: number, ...eth: number[]): Rule[] => [ethIs(...eth), [`ip_proto=${proto}`, (m) => exact(m, 'ip_proto') === proto]];
const icmpv6Is = (...types: number[]): Rule[] => [
  ...protoIs(58, ETH_IPV6),
  [`icmpv6_type=${types.join(' or ')}`, (m) => types.includes(exact(m, 'icmpv6_type') as number)],
];

const PREREQUISITES: Partial<Record<OxmFieldName, Rule[]>> = {
  vlan_pcp: [['vlan_vid other than OFPVID_NONE', (m) => m.vlan_vid !== undefined && exact(m, 'vlan_vid') !== OFPVID_NONE]],
  ip_dscp: [ethIs(ETH_IPV4, ETH_IPV6)],
  ip_ecn: [ethIs(ETH_IPV4, ETH_IPV6)],
  ip_proto: [ethIs(ETH_IPV4, ETH_IPV6)],
  ipv4_src: [ethIs(ETH_IPV4)],
  ipv4_dst: [ethIs(ETH_IPV4)],
  tcp_src: protoIs(6, ETH_IPV4, ETH_IPV6),
  tcp_dst: protoIs(6, ETH_IPV4, ETH_IPV6),
  udp_src: protoIs(17, ETH_IPV4, ETH_IPV6),
  udp_dst: protoIs(17, ETH_IPV4, ETH_IPV6),
  sctp_src: protoIs(132, ETH_IPV4, ETH_IPV6),
  sctp_dst: protoIs(132, ETH_IPV4, ETH_IPV6),
  icmpv4_type: protoIs(1, ETH_IPV4),
  icmpv4_code: protoIs(1, ETH_IPV4),
  arp_op: [ethIs(ETH_ARP)],
  arp_spa: [ethIs(ETH_ARP)],
  arp_tpa: [ethIs(ETH_ARP)],
  arp_sha: [ethIs(ETH_ARP)],
  arp_tha: [ethIs(ETH_ARP)],
  ipv6_src: [ethIs(ETH_IPV6)],
  ipv6_dst: [ethIs(ETH_IPV6)],
  ipv6_flabel: [ethIs(ETH_IPV6)],
  ipv6_exthdr: [ethIs(ETH_IPV6)],
  icmpv6_type: protoIs(58, ETH_IPV6),
  icmpv6_code: protoIs(58, ETH_IPV6),
  ipv6_nd_target: icmpv6Is(135, 136),
  ipv6_nd_sll: icmpv6Is(135),
  ipv6_nd_tll: icmpv6Is(136),
  nd_reserved: icmpv6Is(135, 136),
  nd_options_type: icmpv6Is(135, 136),
  mpls_label: [ethIs(0x8847, 0x8848)],
  mpls_tc: [ethIs(0x8847, 0x8848)],
  mpls_bos: [ethIs(0x8847, 0x8848)],
  pbb_isid: [ethIs(0x88e7)],
};

/** Throws MatchPrerequisiteError naming the first field whose prerequisite is missing. */
export function checkMatchPrerequisites(match: Match): void {
  for (const key of Object.keys(match)) {
    for (const [requirement, holds] of PREREQUISITES[key as OxmFieldName] ?? []) {
      if (!holds(match)) throw new MatchPrerequisiteError(key, requirement);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Encoding

const scratch = Buffer.alloc(16);

function writeValue(w: Writer, name: string, def: FieldDef, v: unknown): void {
  switch (def.kind) {
    case 'uint': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** (8 * def.len)) {
        throw new OfpEncodeError(`match field ${name}: ${String(v)} is not an unsigned ${8 * def.len}-bit integer`);
      }
      if (def.len === 1) w.u8(v);
      else if (def.len === 2) w.u16(v);
      else if (def.len === 3) w.u8(v >>> 16).u16(v & 0xffff);
      else w.u32(v);
      return;
    }
    case 'u64':
      if (typeof v !== 'bigint') throw new OfpEncodeError(`match field ${name}: expected a bigint`);
      w.u64(v);
      return;
    case 'mac':
      macToBytes(String(v), scratch, 0);
      w.bytes(scratch.subarray(0, 6));
      return;
    case 'ipv4':
      ipv4ToBytes(String(v), scratch, 0);
      w.bytes(scratch.subarray(0, 4));
      return;
    case 'ipv6':
      ipv6ToBytes(String(v), scratch, 0);
      w.bytes(scratch.subarray(0, 16));
      return;
  }
}

/** Writes one OXM TLV (also used by the set_field action). */
export function writeOxm(w: Writer, name: OxmFieldName, value: unknown): void {
  const def = OXM_FIELDS[name];
  if (def === undefined) throw new OfpEncodeError(`unknown match field "${name}"`);
  const masked = typeof value === 'object' && value !== null;
  if (masked && !def.maskable) throw new OfpEncodeError(`match field ${name} cannot be masked`);
  const len = masked ? def.len * 2 : def.len;
  w.u16(classOf(def)).u8((def.code << 1) | (masked ? 1 : 0)).u8(len);
  if (masked) {
    const m = value as Masked<unknown>;
    writeValue(w, name, def, m.value);
    writeValue(w, name, def, m.mask);
  } else {
    writeValue(w, name, def, value);
  }
}

/** Basic fields first, then extension ones (whose prerequisites are basic fields), each by field number. */
const orderOf = (name: string): number => {
  const def: FieldDef = OXM_FIELDS[name as OxmFieldName];
  return (def.oxmClass === undefined ? 0 : 1 << 16) + def.code;
};
const byCode = (a: string, b: string): number => orderOf(a) - orderOf(b);

/** ofp_match with OXM TLVs in field-number order (which satisfies prerequisite order), padded to 8. */
export function writeMatch(w: Writer, match: Match): void {
  checkMatchPrerequisites(match);
  const start = w.offset;
  w.u16(MatchType.OXM).u16(0);
  const keys = Object.keys(match).filter((k) => k !== 'other' && match[k as OxmFieldName] !== undefined);
  for (const k of keys.length > 1 ? keys.sort(byCode) : keys) {
    writeOxm(w, k as OxmFieldName, match[k as OxmFieldName]);
  }
  for (const raw of match.other ?? []) {
    w.u16(raw.oxmClass).u8((raw.field << 1) | (raw.hasMask ? 1 : 0)).u8(raw.payload.length).bytes(raw.payload);
  }
  w.patchU16(start + 2, w.offset - start);
  w.padTo(8, start);
}

// ---------------------------------------------------------------------------------------
// Decoding

function readValue(r: Reader, def: FieldDef): unknown {
  switch (def.kind) {
    case 'uint':
      if (def.len === 1) return r.u8();
      if (def.len === 2) return r.u16();
      if (def.len === 3) return (r.u8() << 16) | r.u16();
      return r.u32();
    case 'u64':
      return r.u64();
    case 'mac':
      return macFromBytes(r.bytes(6), 0);
    case 'ipv4':
      return ipv4FromBytes(r.bytes(4), 0);
    case 'ipv6':
      return ipv6FromBytes(r.bytes(16), 0);
  }
}

/** Reads one OXM TLV; returns the field name and value, or a RawOxm for fields we do not interpret. */
export function readOxm(r: Reader): { name: OxmFieldName; value: unknown } | RawOxm {
  const at = r.offset;
  const oxmClass = r.u16('oxm class');
  const fieldAndMask = r.u8('oxm field');
  const len = r.u8('oxm length');
  const field = fieldAndMask >> 1;
  const hasMask = (fieldAndMask & 1) === 1;
  r.expect(len, 'oxm value');
  const known = FIELD_BY_KEY.get(oxmClass * 128 + field);
  if (known === undefined) return { oxmClass, field, hasMask, payload: Buffer.from(r.bytes(len)) };
  const [name, def] = known;
  if (len !== def.len * (hasMask ? 2 : 1)) {
    throw new OfpDecodeError('bad_length', `oxm ${name}: length ${len}, expected ${def.len * (hasMask ? 2 : 1)}`, at);
  }
  // The length matches the field's, so the value is read in place: no sub-reader per field.
  const value = readValue(r, def);
  return { name, value: hasMask ? { value, mask: readValue(r, def) } : value };
}

/** Reads an ofp_match including its trailing padding. */
export function readMatch(r: Reader): Match {
  const at = r.offset;
  const type = r.u16('match type');
  const length = r.u16('match length');
  if (type !== MatchType.OXM) throw new OfpDecodeError('bad_type', `match type ${type} is not OXM`, at);
  if (length < 4) throw new OfpDecodeError('bad_length', `match length ${length} < 4`, at);
  r.expect(length - 4, 'match fields');
  // Fields are read in place (no sub-reader: this runs for every packet-in); one that runs
  // past the match's end is caught right after it is read.
  const end = r.offset + length - 4;
  const match: Match = {};
  const sink = match as Record<string, unknown>;
  while (r.offset < end) {
    const oxm = readOxm(r);
    if (r.offset > end) throw new OfpDecodeError('bad_length', `match field overruns the ${length}-byte match`, at);
    if ('payload' in oxm) {
      match.other ??= [];
      match.other.push(oxm);
    } else {
      if (sink[oxm.name] !== undefined) throw new OfpDecodeError('bad_value', `match field ${oxm.name} appears twice`, at);
      sink[oxm.name] = oxm.value;
    }
  }
  r.skip((8 - (length % 8)) % 8, 'match padding');
  return match;
}
