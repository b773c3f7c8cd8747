import fc from 'fast-check';
import {
  ActionType, ErrorType, type FlowModCommand, type GroupModCommand, type GroupType, InstructionType, MessageType, MeterBandType,
  type MeterModCommand, MultipartType, OXM_FIELDS, ipv6FromBytes,
  type Action, type Instruction, type Match, type MeterBand, type OfpMessage, type OxmFieldName, type Port,
} from '../../src/openflow/index.js';

/** fast-check generators of well-formed messages, for encode/decode round trips. */

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const xid = u32;
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const ipv4 = fc.tuple(u8, u8, u8, u8).map((t) => t.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6FromBytes(Buffer.from(b), 0));
const bytes = (max = 64): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
/** Payloads that are padded to 8 by the encoder must already be a multiple of 8 to round-trip. */
const bytes8 = fc.integer({ min: 0, max: 4 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })).map((b) => Buffer.from(b));

function arbitraryValue(name: OxmFieldName): fc.Arbitrary<unknown> {
  const def = OXM_FIELDS[name];
  switch (def.kind) {
    case 'uint':
      return fc.integer({ min: 0, max: 2 ** (8 * def.len) - 1 });
    case 'u64':
      return u64;
    case 'mac':
      return mac;
    case 'ipv4':
      return ipv4;
    case 'ipv6':
      return ipv6;
  }
}

/**
 * Matches without prerequisite constraints are rare in practice; the generator builds them
 * from a field set that always satisfies prerequisites, plus free-standing fields.
 */
const FREE_FIELDS: OxmFieldName[] = ['in_port', 'in_phy_port', 'metadata', 'eth_dst', 'eth_src', 'vlan_vid', 'tunnel_id'];
const IPV4_TCP: OxmFieldName[] = ['ip_dscp', 'ip_ecn', 'ipv4_src', 'ipv4_dst', 'tcp_src', 'tcp_dst'];
const ARP: OxmFieldName[] = ['arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha'];
const IPV6_ND: OxmFieldName[] = ['ipv6_src', 'ipv6_dst', 'ipv6_flabel', 'ipv6_exthdr', 'icmpv6_code', 'ipv6_nd_target', 'ipv6_nd_sll'];

function fieldsArb(names: OxmFieldName[]): fc.Arbitrary<Record<string, unknown>> {
  const entries = names.map((n) => {
    const v = arbitraryValue(n);
    const arb = OXM_FIELDS[n].maskable ? fc.oneof(v, fc.record({ value: v, mask: v })) : v;
    return [n, arb] as const;
  });
  return fc.record(Object.fromEntries(entries), { requiredKeys: [] });
}

const match: fc.Arbitrary<Match> = fc.oneof(
  fieldsArb(FREE_FIELDS),
  fieldsArb(IPV4_TCP).map((m) => ({ ...m, eth_type: 0x0800, ip_proto: 6 })),
  fieldsArb(ARP).map((m) => ({ ...m, eth_type: 0x0806 })),
  fieldsArb(IPV6_ND).map((m) => ({ ...m, eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 })),
) as fc.Arbitrary<Match>;

const setField = fc.constantFrom(...(Object.keys(OXM_FIELDS) as OxmFieldName[])).chain((field) =>
  arbitraryValue(field).map((value) => ({ type: ActionType.SET_FIELD, field, value }) as Action),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant(ActionType.OUTPUT as const), port: u32, maxLen: u16 }),
  fc.constantFrom(ActionType.COPY_TTL_OUT, ActionType.COPY_TTL_IN, ActionType.DEC_MPLS_TTL, ActionType.POP_VLAN, ActionType.DEC_NW_TTL, ActionType.POP_PBB).map((type) => ({ type }) as Action),
  fc.record({ type: fc.constantFrom(ActionType.SET_MPLS_TTL as const, ActionType.SET_NW_TTL as const), ttl: u8 }),
  fc.record({ type: fc.constantFrom(ActionType.PUSH_VLAN as const, ActionType.PUSH_MPLS as const, ActionType.POP_MPLS as const, ActionType.PUSH_PBB as const), ethertype: u16 }),
  fc.record({ type: fc.constant(ActionType.SET_QUEUE as const), queueId: u32 }),
  fc.record({ type: fc.constant(ActionType.GROUP as const), groupId: u32 }),
  setField,
  fc.record({ type: fc.constant(ActionType.EXPERIMENTER as const), experimenter: u32, data: bytes8 }),
) as fc.Arbitrary<Action>;

const actions = fc.array(action, { maxLength: 5 });

const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ type: fc.constant(InstructionType.GOTO_TABLE as const), tableId: u8 }),
  fc.record({ type: fc.constant(InstructionType.WRITE_METADATA as const), metadata: u64, metadataMask: u64 }),
  fc.record({ type: fc.constantFrom(InstructionType.WRITE_ACTIONS as const, InstructionType.APPLY_ACTIONS as const), actions }),
  fc.constant({ type: InstructionType.CLEAR_ACTIONS as const }),
  fc.record({ type: fc.constant(InstructionType.METER as const), meterId: u32 }),
  fc.record({ type: fc.constant(InstructionType.EXPERIMENTER as const), experimenter: u32, data: bytes8 }),
) as fc.Arbitrary<Instruction>;

const port: fc.Arbitrary<Port> = fc.record({
  portNo: u32, hwAddr: mac, name: fc.string({ maxLength: 15 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
  config: u32, state: u32, curr: u32, advertised: u32, supported: u32, peer: u32, currSpeed: u32, maxSpeed: u32,
});

const bucket = fc.record({ weight: u16, watchPort: u32, watchGroup: u32, actions });
const band: fc.Arbitrary<MeterBand> = fc.oneof(
  fc.record({ bandType: fc.constant(MeterBandType.DROP as const), rate: u32, burstSize: u32 }),
  fc.record({ bandType: fc.constant(MeterBandType.DSCP_REMARK as const), rate: u32, burstSize: u32, precLevel: u8 }),
  fc.record({ bandType: fc.constant(MeterBandType.EXPERIMENTER as const), rate: u32, burstSize: u32, experimenter: u32 }),
);
const counters = fc.array(fc.record({ packetCount: u64, byteCount: u64 }), { maxLength: 3 });

const flowStats = fc.record({
  tableId: u8, durationSec: u32, durationNsec: u32, priority: u16, idleTimeout: u16, hardTimeout: u16, flags: u16,
  cookie: u64, packetCount: u64, byteCount: u64, match, instructions: fc.array(instruction, { maxLength: 3 }),
});

const mpReplyBody = fc.oneof(
  fc.record({ mpType: fc.constant(MultipartType.FLOW as const), flows: fc.array(flowStats, { maxLength: 4 }) }),
  fc.record({ mpType: fc.constant(MultipartType.AGGREGATE as const), packetCount: u64, byteCount: u64, flowCount: u32 }),
  fc.record({ mpType: fc.constant(MultipartType.TABLE as const), tables: fc.array(fc.record({ tableId: u8, activeCount: u32, lookupCount: u64, matchedCount: u64 }), { maxLength: 4 }) }),
  fc.record({ mpType: fc.constant(MultipartType.PORT_DESC as const), ports: fc.array(port, { maxLength: 4 }) }),
  fc.record({ mpType: fc.constant(MultipartType.GROUP_DESC as const), groups: fc.array(fc.record({ groupType: u8, groupId: u32, buckets: fc.array(bucket, { maxLength: 3 }) }), { maxLength: 3 }) }),
  fc.record({ mpType: fc.constant(MultipartType.GROUP as const), groups: fc.array(fc.record({ groupId: u32, refCount: u32, packetCount: u64, byteCount: u64, durationSec: u32, durationNsec: u32, buckets: counters }), { maxLength: 3 }) }),
  fc.record({ mpType: fc.constant(MultipartType.METER as const), meters: fc.array(fc.record({ meterId: u32, flowCount: u32, packetInCount: u64, byteInCount: u64, durationSec: u32, durationNsec: u32, bands: counters }), { maxLength: 3 }) }),
  fc.record({ mpType: fc.constant(MultipartType.METER_CONFIG as const), meters: fc.array(fc.record({ flags: u16, meterId: u32, bands: fc.array(band, { maxLength: 3 }) }), { maxLength: 3 }) }),
);

/** A message of (almost) every type with arbitrary contents. */
export const message: fc.Arbitrary<OfpMessage> = fc.oneof(
  fc.record({ type: fc.constant(MessageType.HELLO as const), xid, version: fc.constant(4), versions: fc.uniqueArray(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 5 }).map((v) => v.sort((a, b) => a - b)) }),
  fc.record({ type: fc.constant(MessageType.ERROR as const), xid, errType: fc.integer({ min: 0, max: ErrorType.TABLE_FEATURES_FAILED }), code: u16, data: bytes() }),
  fc.record({ type: fc.constantFrom(MessageType.ECHO_REQUEST as const, MessageType.ECHO_REPLY as const), xid, data: bytes() }),
  fc.record({ type: fc.constantFrom(MessageType.FEATURES_REQUEST as const, MessageType.BARRIER_REQUEST as const, MessageType.BARRIER_REPLY as const, MessageType.GET_CONFIG_REQUEST as const, MessageType.GET_ASYNC_REQUEST as const), xid }),
  fc.record({ type: fc.constant(MessageType.FEATURES_REPLY as const), xid, datapathId: u64, nBuffers: u32, nTables: u8, auxiliaryId: u8, capabilities: u32 }),
  fc.record({ type: fc.constantFrom(MessageType.SET_CONFIG as const, MessageType.GET_CONFIG_REPLY as const), xid, flags: u16, missSendLen: u16 }),
  fc.record({ type: fc.constant(MessageType.PACKET_IN as const), xid, bufferId: u32, totalLen: u16, reason: u8, tableId: u8, cookie: u64, match, data: bytes(200) }),
  fc.record({ type: fc.constant(MessageType.PACKET_OUT as const), xid, bufferId: u32, inPort: u32, actions, data: bytes(200) }),
  fc.record({
    type: fc.constant(MessageType.FLOW_MOD as const), xid, cookie: u64, cookieMask: u64, tableId: u8,
    command: fc.constantFrom(...[0, 1, 2, 3, 4] as FlowModCommand[]), idleTimeout: u16, hardTimeout: u16, priority: u16,
    bufferId: u32, outPort: u32, outGroup: u32, flags: u16, match, instructions: fc.array(instruction, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant(MessageType.FLOW_REMOVED as const), xid, cookie: u64, priority: u16, reason: u8, tableId: u8, durationSec: u32, durationNsec: u32, idleTimeout: u16, hardTimeout: u16, packetCount: u64, byteCount: u64, match }),
  fc.record({ type: fc.constant(MessageType.PORT_STATUS as const), xid, reason: u8, port }),
  fc.record({ type: fc.constant(MessageType.PORT_MOD as const), xid, portNo: u32, hwAddr: mac, config: u32, mask: u32, advertise: u32 }),
  fc.record({ type: fc.constant(MessageType.GROUP_MOD as const), xid, command: fc.constantFrom(...[0, 1, 2] as GroupModCommand[]), groupType: fc.constantFrom(...[0, 1, 2, 3] as GroupType[]), groupId: u32, buckets: fc.array(bucket, { maxLength: 4 }) }),
  fc.record({ type: fc.constant(MessageType.METER_MOD as const), xid, command: fc.constantFrom(...[0, 1, 2] as MeterModCommand[]), flags: u16, meterId: u32, bands: fc.array(band, { maxLength: 4 }) }),
  fc.record({ type: fc.constant(MessageType.TABLE_MOD as const), xid, tableId: u8, config: u32 }),
  fc.record({ type: fc.constantFrom(MessageType.ROLE_REQUEST as const, MessageType.ROLE_REPLY as const), xid, role: u32, generationId: u64 }),
  fc.record({ type: fc.constantFrom(MessageType.SET_ASYNC as const, MessageType.GET_ASYNC_REPLY as const), xid, packetInMask: fc.tuple(u32, u32), portStatusMask: fc.tuple(u32, u32), flowRemovedMask: fc.tuple(u32, u32) }),
  fc.record({ type: fc.constant(MessageType.EXPERIMENTER as const), xid, experimenter: u32, expType: u32, data: bytes() }),
  fc.record({ type: fc.constant(MessageType.MULTIPART_REPLY as const), xid, flags: fc.constantFrom(0, 1), body: mpReplyBody }),
  fc.record({
    type: fc.constant(MessageType.MULTIPART_REQUEST as const), xid, flags: fc.constant(0),
    body: fc.oneof(
      fc.record({ mpType: fc.constantFrom(MultipartType.FLOW as const, MultipartType.AGGREGATE as const), tableId: u8, outPort: u32, outGroup: u32, cookie: u64, cookieMask: u64, match }),
      fc.record({ mpType: fc.constant(MultipartType.PORT_STATS as const), portNo: u32 }),
      fc.record({ mpType: fc.constant(MultipartType.QUEUE as const), portNo: u32, queueId: u32 }),
      fc.record({ mpType: fc.constant(MultipartType.METER as const), meterId: u32 }),
      fc.constantFrom(MultipartType.DESC, MultipartType.PORT_DESC, MultipartType.TABLE).map((mpType) => ({ mpType })),
    ),
  }),
) as fc.Arbitrary<OfpMessage>;
