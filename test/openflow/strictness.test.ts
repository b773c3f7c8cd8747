import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MatchPrerequisiteError, OXM_FIELDS, OfpDecodeError, Reader, checkMatchPrerequisites, readActions, readInstructions, readMatch,
  type Match, type OxmFieldName,
} from '../../src/openflow/index.js';

/**
 * What the codec must refuse, byte for byte, with the exact error: the round-trip and fuzz
 * tests only see well-formed input or accept any typed error, so a loosened check would
 * pass them. Each case here fails if its check is removed or weakened.
 */

const decodeError = (fn: () => unknown, code: string, message: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof OfpDecodeError && e.code === code && message.test(e.message), String(message));

/** An ofp_match of OXM TLVs given as hex, with its length and padding. */
function match(oxmsHex: string): Reader {
  const oxms = Buffer.from(oxmsHex, 'hex');
  const len = 4 + oxms.length;
  const buf = Buffer.alloc(len + ((8 - (len % 8)) % 8));
  buf.writeUInt16BE(1, 0);
  buf.writeUInt16BE(len, 2);
  oxms.copy(buf, 4);
  return new Reader(buf);
}

test('an OXM longer than its field is refused (in_port with 5 bytes, eth_type with 3)', () => {
  decodeError(() => readMatch(match('800000050000000102')), 'bad_length', /oxm in_port: length 5, expected 4/);
  decodeError(() => readMatch(match('80000a03080000')), 'bad_length', /oxm eth_type: length 3, expected 2/);
  // A masked field carries twice its length, not once.
  decodeError(() => readMatch(match('800017040a000001')), 'bad_length', /oxm ipv4_src: length 4, expected 8/);
  // The well-formed ones decode.
  assert.deepEqual(readMatch(match('8000000400000001')), { in_port: 1 });
  assert.deepEqual(readMatch(match('80000a020800')), { eth_type: 0x0800 });
});

test('an OXM that runs past the match, a field given twice, a match shorter than its header', () => {
  // ofp_match length says 8 (one 4-byte OXM header), but the OXM claims 4 more bytes.
  const buf = Buffer.from('000100088000000400000001', 'hex');
  decodeError(() => readMatch(new Reader(buf)), 'bad_length', /overruns the 8-byte match/);
  decodeError(() => readMatch(match('80000004000000018000000400000002')), 'bad_value', /in_port appears twice/);
  decodeError(() => readMatch(new Reader(Buffer.from('0001000300000000', 'hex'))), 'bad_length', /match length 3 < 4/);
  decodeError(() => readMatch(new Reader(Buffer.from('0000000400000000', 'hex'))), 'bad_type', /match type 0 is not OXM/);
});

test('an action whose length is not a multiple of 8, or below 8, is refused', () => {
  // OUTPUT (type 0) of length 12 and of length 4.
  decodeError(() => readActions(new Reader(Buffer.from('0000000c00000001ffe50000', 'hex'))), 'bad_length', /action length 12/);
  decodeError(() => readActions(new Reader(Buffer.from('00000004', 'hex'))), 'bad_length', /action length 4/);
  // The well-formed OUTPUT (16 bytes) decodes.
  assert.deepEqual(readActions(new Reader(Buffer.from('0000001000000001ffe5000000000000', 'hex'))), [{ type: 0, port: 1, maxLen: 0xffe5 }]);
  decodeError(() => readActions(new Reader(Buffer.from('00ee000800000000', 'hex'))), 'bad_type', /unknown action type 238/);
});

test('an instruction whose length is not a multiple of 8 is refused', () => {
  decodeError(() => readInstructions(new Reader(Buffer.from('0001000c010000000000000000', 'hex'))), 'bad_length', /instruction length 12/);
  decodeError(() => readInstructions(new Reader(Buffer.from('00ee000800000000', 'hex'))), 'bad_type', /unknown instruction type 238/);
});

test('set_field with a mask is refused', () => {
  // SET_FIELD (25), length 16, OXM eth_type with the mask bit (field 5 << 1 | 1), 4 bytes.
  decodeError(() => readActions(new Reader(Buffer.from('001900108000 0b04 0800ffff 00000000'.replace(/ /g, ''), 'hex'))), 'bad_value', /set_field eth_type carries a mask/);
});

/** For each field with a prerequisite: the smallest match that satisfies it. */
const SATISFIED: Partial<Record<OxmFieldName, Match>> = {
  vlan_pcp: { vlan_vid: 0x1005 },
  ip_dscp: { eth_type: 0x0800 }, ip_ecn: { eth_type: 0x86dd }, ip_proto: { eth_type: 0x0800 },
  ipv4_src: { eth_type: 0x0800 }, ipv4_dst: { eth_type: 0x0800 },
  tcp_src: { eth_type: 0x0800, ip_proto: 6 }, tcp_dst: { eth_type: 0x86dd, ip_proto: 6 },
  udp_src: { eth_type: 0x0800, ip_proto: 17 }, udp_dst: { eth_type: 0x0800, ip_proto: 17 },
  sctp_src: { eth_type: 0x0800, ip_proto: 132 }, sctp_dst: { eth_type: 0x0800, ip_proto: 132 },
  icmpv4_type: { eth_type: 0x0800, ip_proto: 1 }, icmpv4_code: { eth_type: 0x0800, ip_proto: 1 },
  arp_op: { eth_type: 0x0806 }, arp_spa: { eth_type: 0x0806 }, arp_tpa: { eth_type: 0x0806 }, arp_sha: { eth_type: 0x0806 }, arp_tha: { eth_type: 0x0806 },
  ipv6_src: { eth_type: 0x86dd }, ipv6_dst: { eth_type: 0x86dd }, ipv6_flabel: { eth_type: 0x86dd }, ipv6_exthdr: { eth_type: 0x86dd },
  icmpv6_type: { eth_type: 0x86dd, ip_proto: 58 }, icmpv6_code: { eth_type: 0x86dd, ip_proto: 58 },
  ipv6_nd_target: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 },
  ipv6_nd_sll: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 },
  ipv6_nd_tll: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 },
  nd_reserved: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 },
  nd_options_type: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 },
  mpls_label: { eth_type: 0x8847 }, mpls_tc: { eth_type: 0x8848 }, mpls_bos: { eth_type: 0x8847 },
  pbb_isid: { eth_type: 0x88e7 },
};

/** Each prerequisite's own violation: the right eth_type but the wrong protocol, and so on. */
const WRONG: Partial<Record<OxmFieldName, Match>> = {
  vlan_pcp: { vlan_vid: 0 },
  ipv4_src: { eth_type: 0x86dd }, tcp_src: { eth_type: 0x0800, ip_proto: 17 }, udp_dst: { eth_type: 0x0800, ip_proto: 6 },
  icmpv4_type: { eth_type: 0x86dd, ip_proto: 1 }, icmpv6_type: { eth_type: 0x0800, ip_proto: 58 },
  ipv6_nd_sll: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 }, ipv6_nd_tll: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 },
  nd_reserved: { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 128 },
  arp_op: { eth_type: 0x0800 }, mpls_label: { eth_type: 0x0800 }, pbb_isid: { eth_type: 0x8847 },
};

const sample = (field: OxmFieldName): unknown => {
  const kind = OXM_FIELDS[field].kind;
  return kind === 'mac' ? '02:00:00:00:00:01' : kind === 'ipv4' ? '10.0.0.1' : kind === 'ipv6' ? '::1' : kind === 'u64' ? 1n : 1;
};

test('every field with a prerequisite: refused alone or with the wrong one, accepted with it (all 34)', () => {
  const fields = Object.keys(SATISFIED) as OxmFieldName[];
  assert.equal(fields.length, 34);
  for (const field of fields) {
    const alone = { [field]: sample(field) } as Match;
    assert.throws(() => checkMatchPrerequisites(alone), (e: unknown) => e instanceof MatchPrerequisiteError && e.field === field, field);
    assert.doesNotThrow(() => checkMatchPrerequisites({ ...SATISFIED[field], [field]: sample(field) } as Match), field);
    const wrong = WRONG[field];
    if (wrong) assert.throws(() => checkMatchPrerequisites({ ...wrong, [field]: sample(field) } as Match), (e: unknown) => e instanceof MatchPrerequisiteError && e.field === field, `${field} with ${JSON.stringify(wrong)}`);
  }
  // Fields without prerequisites stand alone.
  for (const field of ['in_port', 'eth_dst', 'eth_src', 'eth_type', 'vlan_vid', 'metadata', 'tunnel_id'] as OxmFieldName[]) {
    assert.doesNotThrow(() => checkMatchPrerequisites({ [field]: sample(field) } as Match), field);
  }
});
