import { MessageType, MultipartType, OFP_HEADER_LEN, OFP_VERSION } from '../enums.js';
import { OfpDecodeError, OfpEncodeError } from '../errors.js';
import { readInstructions, writeInstructions, type Instruction } from '../instructions.js';
import { readMatch, writeMatch, type Match } from '../match.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readBuckets, writeBuckets, type Bucket } from './group.js';
import { readBands, writeBands, type MeterBand } from './meter.js';
import { PORT_LEN, readPort, writePort, type Port } from './port.js';

/**
 * MULTIPART_REQUEST / MULTIPART_REPLY (§7.3.5). One reply message carries one part; the
 * controller joins the parts of a reply flagged REPLY_MORE (see `joinMultipartReplies`).
 * TABLE_FEATURES bodies are kept as raw bytes: nothing in this project configures tables.
 */

export interface FlowStatsRequest {
  tableId: number;
  outPort: number;
  outGroup: number;
  cookie: bigint;
  cookieMask: bigint;
  match: Match;
}

export type MultipartRequestBody =
  | { mpType: MultipartType.DESC | MultipartType.TABLE | MultipartType.PORT_DESC | MultipartType.GROUP_DESC | MultipartType.GROUP_FEATURES | MultipartType.METER_FEATURES }
  | ({ mpType: MultipartType.FLOW | MultipartType.AGGREGATE } & FlowStatsRequest)
  | { mpType: MultipartType.PORT_STATS; portNo: number }
  | { mpType: MultipartType.QUEUE; portNo: number; queueId: number }
  | { mpType: MultipartType.GROUP; groupId: number }
  | { mpType: MultipartType.METER | MultipartType.METER_CONFIG; meterId: number }
  | { mpType: MultipartType.TABLE_FEATURES; raw: Buffer }
  | { mpType: MultipartType.EXPERIMENTER; experimenter: number; expType: number; data: Buffer };

export interface SwitchDesc {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

export interface FlowStats {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export interface PortStats {
  portNo: number;
  rxPackets: bigint; txPackets: bigint; rxBytes: bigint; txBytes: bigint;
  rxDropped: bigint; txDropped: bigint; rxErrors: bigint; txErrors: bigint;
  rxFrameErr: bigint; rxOverErr: bigint; rxCrcErr: bigint; collisions: bigint;
  durationSec: number;
  durationNsec: number;
}

export interface QueueStats {
  portNo: number;
  queueId: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  durationSec: number;
  durationNsec: number;
}

export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: Array<{ packetCount: bigint; byteCount: bigint }>;
}

export interface GroupDesc {
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export interface GroupFeatures {
  types: number;
  capabilities: number;
  maxGroups: [number, number, number, number];
  actions: [number, number, number, number];
}

export interface MeterStats {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: Array<{ packetCount: bigint; byteCount: bigint }>;
}

export interface MeterConfig {
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

export interface MeterFeatures {
  maxMeter: number;
  bandTypes: number;
  capabilities: number;
  maxBands: number;
  maxColor: number;
}

export type MultipartReplyBody =
  | { mpType: MultipartType.DESC; desc: SwitchDesc }
  | { mpType: MultipartType.FLOW; flows: FlowStats[] }
  | { mpType: MultipartType.AGGREGATE; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { mpType: MultipartType.TABLE; tables: TableStats[] }
  | { mpType: MultipartType.PORT_STATS; ports: PortStats[] }
  | { mpType: MultipartType.QUEUE; queues: QueueStats[] }
  | { mpType: MultipartType.GROUP; groups: GroupStats[] }
  | { mpType: MultipartType.GROUP_DESC; groups: GroupDesc[] }
  | { mpType: MultipartType.GROUP_FEATURES; features: GroupFeatures }
  | { mpType: MultipartType.METER; meters: MeterStats[] }
  | { mpType: MultipartType.METER_CONFIG; meters: MeterConfig[] }
  | { mpType: MultipartType.METER_FEATURES; features: MeterFeatures }
  | { mpType: MultipartType.TABLE_FEATURES; raw: Buffer }
  | { mpType: MultipartType.PORT_DESC; ports: Port[] }
  | { mpType: MultipartType.EXPERIMENTER; experimenter: number; expType: number; data: Buffer };

export interface MultipartRequest {
  type: MessageType.MULTIPART_REQUEST;
  xid: number;
  flags: number;
  body: MultipartRequestBody;
}

export interface MultipartReply {
  type: MessageType.MULTIPART_REPLY;
  xid: number;
  flags: number;
  body: MultipartReplyBody;
}

// ---------------------------------------------------------------------------------------
// Requests

export function writeMultipartRequest(w: Writer, m: MultipartRequest): void {
  const b = m.body;
  w.u16(b.mpType).u16(m.flags).zeros(4);
  switch (b.mpType) {
    case MultipartType.DESC:
    case MultipartType.TABLE:
    case MultipartType.PORT_DESC:
    case MultipartType.GROUP_DESC:
    case MultipartType.GROUP_FEATURES:
    case MultipartType.METER_FEATURES:
      return;
    case MultipartType.FLOW:
    case MultipartType.AGGREGATE:
      w.u8(b.tableId).zeros(3).u32(b.outPort).u32(b.outGroup).zeros(4).u64(b.cookie).u64(b.cookieMask);
      writeMatch(w, b.match);
      return;
    case MultipartType.PORT_STATS:
      w.u32(b.portNo).zeros(4);
      return;
    case MultipartType.QUEUE:
      w.u32(b.portNo).u32(b.queueId);
      return;
    case MultipartType.GROUP:
      w.u32(b.groupId).zeros(4);
      return;
    case MultipartType.METER:
    case MultipartType.METER_CONFIG:
      w.u32(b.meterId).zeros(4);
      return;
    case MultipartType.TABLE_FEATURES:
      w.bytes(b.raw);
      return;
    case MultipartType.EXPERIMENTER:
      w.u32(b.experimenter).u32(b.expType).bytes(b.data);
      return;
    default: {
      const never: never = b;
      throw new OfpEncodeError(`unknown multipart request ${JSON.stringify(never)}`);
    }
  }
}

function readFlowStatsRequest(r: Reader): FlowStatsRequest {
  const tableId = r.u8();
  r.skip(3);
  const outPort = r.u32();
  const outGroup = r.u32();
  r.skip(4);
  return { tableId, outPort, outGroup, cookie: r.u64(), cookieMask: r.u64(), match: readMatch(r) };
}

function readRequestBody(r: Reader, mpType: number, at: number): MultipartRequestBody {
  switch (mpType) {
    case MultipartType.DESC:
    case MultipartType.TABLE:
    case MultipartType.PORT_DESC:
    case MultipartType.GROUP_DESC:
    case MultipartType.GROUP_FEATURES:
    case MultipartType.METER_FEATURES:
      return { mpType };
    case MultipartType.FLOW:
    case MultipartType.AGGREGATE:
      return { mpType, ...readFlowStatsRequest(r) };
    case MultipartType.PORT_STATS: {
      const portNo = r.u32();
      r.skip(4);
      return { mpType, portNo };
    }
    case MultipartType.QUEUE:
      return { mpType, portNo: r.u32(), queueId: r.u32() };
    case MultipartType.GROUP: {
      const groupId = r.u32();
      r.skip(4);
      return { mpType, groupId };
    }
    case MultipartType.METER:
    case MultipartType.METER_CONFIG: {
      const meterId = r.u32();
      r.skip(4);
      return { mpType, meterId };
    }
    case MultipartType.TABLE_FEATURES:
      return { mpType, raw: r.rest() };
    case MultipartType.EXPERIMENTER:
      return { mpType, experimenter: r.u32(), expType: r.u32(), data: r.rest() };
    default:
      throw new OfpDecodeError('bad_type', `unknown multipart type ${mpType}`, at);
  }
}

export function readMultipartRequest(r: Reader, xid: number): MultipartRequest {
  const at = r.offset;
  const mpType = r.u16('multipart type');
  const flags = r.u16();
  r.skip(4);
  return { type: MessageType.MULTIPART_REQUEST, xid, flags, body: readRequestBody(r, mpType, at) };
}

// ---------------------------------------------------------------------------------------
// Replies

/** Reads records that each start with their own u16 length, as flow/group/meter stats do. */
function readLengthPrefixed<T>(r: Reader, min: number, what: string, read: (rec: Reader) => T): T[] {
  const out: T[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const len = r.peekU16(0) ?? 0;
    if (len < min) throw new OfpDecodeError('bad_length', `${what} length ${len} < ${min}`, at);
    out.push(read(r.sub(len, what)));
  }
  return out;
}

/** Reads fixed-size records. */
function readFixed<T>(r: Reader, size: number, what: string, read: (rec: Reader) => T): T[] {
  if (r.remaining % size !== 0) throw new OfpDecodeError('bad_length', `${what}: ${r.remaining} bytes is not a multiple of ${size}`, r.offset);
  const out: T[] = [];
  while (r.remaining > 0) out.push(read(r.sub(size, what)));
  return out;
}

const counters = (r: Reader, n: number): Array<{ packetCount: bigint; byteCount: bigint }> => {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ packetCount: r.u64(), byteCount: r.u64() });
  return out;
};

function readFlowStats(r: Reader): FlowStats {
  r.skip(2, 'length');
  const tableId = r.u8();
  r.skip(1);
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const priority = r.u16();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const flags = r.u16();
  r.skip(4);
  const cookie = r.u64();
  const packetCount = r.u64();
  const byteCount = r.u64();
  const match = readMatch(r);
  return {
    tableId, durationSec, durationNsec, priority, idleTimeout, hardTimeout, flags, cookie, packetCount, byteCount,
    match, instructions: readInstructions(r),
  };
}

function readPortStats(r: Reader): PortStats {
  const portNo = r.u32();
  r.skip(4);
  return {
    portNo,
    rxPackets: r.u64(), txPackets: r.u64(), rxBytes: r.u64(), txBytes: r.u64(),
    rxDropped: r.u64(), txDropped: r.u64(), rxErrors: r.u64(), txErrors: r.u64(),
    rxFrameErr: r.u64(), rxOverErr: r.u64(), rxCrcErr: r.u64(), collisions: r.u64(),
    durationSec: r.u32(), durationNsec: r.u32(),
  };
}

function readGroupStats(r: Reader): GroupStats {
  r.skip(4, 'length');
  const groupId = r.u32();
  const refCount = r.u32();
  r.skip(4);
  const packetCount = r.u64();
  const byteCount = r.u64();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  if (r.remaining % 16 !== 0) throw new OfpDecodeError('bad_length', 'group bucket counters', r.offset);
  return { groupId, refCount, packetCount, byteCount, durationSec, durationNsec, buckets: counters(r, r.remaining / 16) };
}

function readMeterStats(r: Reader): MeterStats {
  const meterId = r.u32();
  r.skip(2, 'length');
  r.skip(6);
  const flowCount = r.u32();
  const packetInCount = r.u64();
  const byteInCount = r.u64();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  if (r.remaining % 16 !== 0) throw new OfpDecodeError('bad_length', 'meter band counters', r.offset);
  return { meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands: counters(r, r.remaining / 16) };
}

function readReplyBody(r: Reader, mpType: number, at: number): MultipartReplyBody {
  switch (mpType) {
    case MultipartType.DESC:
      return {
        mpType,
        desc: { mfrDesc: r.fixedString(256), hwDesc: r.fixedString(256), swDesc: r.fixedString(256), serialNum: r.fixedString(32), dpDesc: r.fixedString(256) },
      };
    case MultipartType.FLOW:
      return { mpType, flows: readLengthPrefixed(r, 56, 'flow stats', readFlowStats) };
    case MultipartType.AGGREGATE: {
      const body = { mpType, packetCount: r.u64(), byteCount: r.u64(), flowCount: r.u32() };
      r.skip(4);
      return body;
    }
    case MultipartType.TABLE:
      return {
        mpType,
        tables: readFixed(r, 24, 'table stats', (t) => {
          const tableId = t.u8();
          t.skip(3);
          return { tableId, activeCount: t.u32(), lookupCount: t.u64(), matchedCount: t.u64() };
        }),
      };
    case MultipartType.PORT_STATS:
      return { mpType, ports: readFixed(r, 112, 'port stats', readPortStats) };
    case MultipartType.QUEUE:
      return {
        mpType,
        queues: readFixed(r, 40, 'queue stats', (q) => ({
          portNo: q.u32(), queueId: q.u32(), txBytes: q.u64(), txPackets: q.u64(), txErrors: q.u64(),
          durationSec: q.u32(), durationNsec: q.u32(),
        })),
      };
    case MultipartType.GROUP:
      return { mpType, groups: readLengthPrefixed(r, 40, 'group stats', readGroupStats) };
    case MultipartType.GROUP_DESC:
      return {
        mpType,
        groups: readLengthPrefixed(r, 8, 'group desc', (g) => {
          g.skip(2, 'length');
          const groupType = g.u8();
          g.skip(1);
          return { groupType, groupId: g.u32(), buckets: readBuckets(g) };
        }),
      };
    case MultipartType.GROUP_FEATURES: {
      const four = (): [number, number, number, number] => [r.u32(), r.u32(), r.u32(), r.u32()];
      return { mpType, features: { types: r.u32(), capabilities: r.u32(), maxGroups: four(), actions: four() } };
    }
    case MultipartType.METER:
      return { mpType, meters: readMeterStatsList(r) };
    case MultipartType.METER_CONFIG:
      return {
        mpType,
        meters: readLengthPrefixed(r, 8, 'meter config', (m) => {
          m.skip(2, 'length');
          return { flags: m.u16(), meterId: m.u32(), bands: readBands(m) };
        }),
      };
    case MultipartType.METER_FEATURES: {
      const features = { maxMeter: r.u32(), bandTypes: r.u32(), capabilities: r.u32(), maxBands: r.u8(), maxColor: r.u8() };
      r.skip(2);
      return { mpType, features };
    }
    case MultipartType.TABLE_FEATURES:
      return { mpType, raw: r.rest() };
    case MultipartType.PORT_DESC:
      return { mpType, ports: readFixed(r, PORT_LEN, 'port', readPort) };
    case MultipartType.EXPERIMENTER:
      return { mpType, experimenter: r.u32(), expType: r.u32(), data: r.rest() };
    default:
      throw new OfpDecodeError('bad_type', `unknown multipart type ${mpType}`, at);
  }
}

/** Like readLengthPrefixed, but ofp_meter_stats puts its length after meter_id. */
function readMeterStatsList(r: Reader): MeterStats[] {
  const out: MeterStats[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const len = r.peekU16(4) ?? 0;
    if (len < 40) throw new OfpDecodeError('bad_length', `meter stats length ${len} < 40`, at);
    out.push(readMeterStats(r.sub(len, 'meter stats')));
  }
  return out;
}

export function readMultipartReply(r: Reader, xid: number): MultipartReply {
  const at = r.offset;
  const mpType = r.u16('multipart type');
  const flags = r.u16();
  r.skip(4);
  return { type: MessageType.MULTIPART_REPLY, xid, flags, body: readReplyBody(r, mpType, at) };
}

function writeFlowStats(w: Writer, f: FlowStats): void {
  const start = w.offset;
  w.u16(0).u8(f.tableId).zeros(1).u32(f.durationSec).u32(f.durationNsec);
  w.u16(f.priority).u16(f.idleTimeout).u16(f.hardTimeout).u16(f.flags).zeros(4);
  w.u64(f.cookie).u64(f.packetCount).u64(f.byteCount);
  writeMatch(w, f.match);
  writeInstructions(w, f.instructions);
  w.patchU16(start, w.offset - start);
}

/** Replies are written by switches, not by us; the writer exists for tests, tools and fakes. */
export function writeMultipartReply(w: Writer, m: MultipartReply): void {
  const b = m.body;
  w.u16(b.mpType).u16(m.flags).zeros(4);
  switch (b.mpType) {
    case MultipartType.DESC:
      w.fixedString(b.desc.mfrDesc, 256).fixedString(b.desc.hwDesc, 256).fixedString(b.desc.swDesc, 256);
      w.fixedString(b.desc.serialNum, 32).fixedString(b.desc.dpDesc, 256);
      return;
    case MultipartType.FLOW:
      for (const f of b.flows) writeFlowStats(w, f);
      return;
    case MultipartType.AGGREGATE:
      w.u64(b.packetCount).u64(b.byteCount).u32(b.flowCount).zeros(4);
      return;
    case MultipartType.TABLE:
      for (const t of b.tables) w.u8(t.tableId).zeros(3).u32(t.activeCount).u64(t.lookupCount).u64(t.matchedCount);
      return;
    case MultipartType.PORT_STATS:
      for (const p of b.ports) {
        w.u32(p.portNo).zeros(4);
        for (const c of [p.rxPackets, p.txPackets, p.rxBytes, p.txBytes, p.rxDropped, p.txDropped, p.rxErrors, p.txErrors, p.rxFrameErr, p.rxOverErr, p.rxCrcErr, p.collisions]) w.u64(c);
        w.u32(p.durationSec).u32(p.durationNsec);
      }
      return;
    case MultipartType.QUEUE:
      for (const q of b.queues) w.u32(q.portNo).u32(q.queueId).u64(q.txBytes).u64(q.txPackets).u64(q.txErrors).u32(q.durationSec).u32(q.durationNsec);
      return;
    case MultipartType.GROUP:
      for (const g of b.groups) {
        w.u16(40 + 16 * g.buckets.length).zeros(2).u32(g.groupId).u32(g.refCount).zeros(4);
        w.u64(g.packetCount).u64(g.byteCount).u32(g.durationSec).u32(g.durationNsec);
        for (const c of g.buckets) w.u64(c.packetCount).u64(c.byteCount);
      }
      return;
    case MultipartType.GROUP_DESC:
      for (const g of b.groups) {
        const start = w.offset;
        w.u16(0).u8(g.groupType).zeros(1).u32(g.groupId);
        writeBuckets(w, g.buckets);
        w.patchU16(start, w.offset - start);
      }
      return;
    case MultipartType.GROUP_FEATURES:
      w.u32(b.features.types).u32(b.features.capabilities);
      for (const v of [...b.features.maxGroups, ...b.features.actions]) w.u32(v);
      return;
    case MultipartType.METER:
      for (const s of b.meters) {
        w.u32(s.meterId).u16(40 + 16 * s.bands.length).zeros(6).u32(s.flowCount);
        w.u64(s.packetInCount).u64(s.byteInCount).u32(s.durationSec).u32(s.durationNsec);
        for (const c of s.bands) w.u64(c.packetCount).u64(c.byteCount);
      }
      return;
    case MultipartType.METER_CONFIG:
      for (const c of b.meters) {
        const start = w.offset;
        w.u16(0).u16(c.flags).u32(c.meterId);
        writeBands(w, c.bands);
        w.patchU16(start, w.offset - start);
      }
      return;
    case MultipartType.METER_FEATURES:
      w.u32(b.features.maxMeter).u32(b.features.bandTypes).u32(b.features.capabilities).u8(b.features.maxBands).u8(b.features.maxColor).zeros(2);
      return;
    case MultipartType.TABLE_FEATURES:
      w.bytes(b.raw);
      return;
    case MultipartType.PORT_DESC:
      for (const p of b.ports) writePort(w, p);
      return;
    case MultipartType.EXPERIMENTER:
      w.u32(b.experimenter).u32(b.expType).bytes(b.data);
      return;
    default: {
      const never: never = b;
      throw new OfpEncodeError(`unknown multipart reply ${JSON.stringify(never)}`);
    }
  }
}

/** A MULTIPART_REPLY known by its header and its record count, its records left undecoded. */
export interface MultipartReplyHead {
  xid: number;
  mpType: number;
  flags: number;
  /** Records in this part: flows, groups or meter configs, walked by their lengths; 1 for any other body. */
  records: number;
}

/** The minimum length of each record type whose u16 length comes first. */
const LENGTH_PREFIXED: Partial<Record<MultipartType, { min: number; what: string }>> = {
  [MultipartType.FLOW]: { min: 56, what: 'flow stats' },
  [MultipartType.GROUP]: { min: 40, what: 'group stats' },
  [MultipartType.GROUP_DESC]: { min: 8, what: 'group desc' },
  [MultipartType.METER_CONFIG]: { min: 8, what: 'meter config' },
};

/**
 * The head of a MULTIPART_REPLY (undefined for any other message), with its records counted
 * but not decoded: a reader that has what it needs of a long reply skips the rest for the
 * price of one u16 read a record. Lengths that break the framing throw OfpDecodeError, as
 * decoding would.
 */
export function peekMultipartReply(buf: Buffer, start: number, end: number): MultipartReplyHead | undefined {
  if (end - start < OFP_HEADER_LEN + 8 || buf[start] !== OFP_VERSION || buf[start + 1] !== MessageType.MULTIPART_REPLY) return undefined;
  const mpType = buf.readUInt16BE(start + OFP_HEADER_LEN);
  const head = { xid: buf.readUInt32BE(start + 4), mpType, flags: buf.readUInt16BE(start + OFP_HEADER_LEN + 2), records: 1 };
  const prefixed = LENGTH_PREFIXED[mpType as MultipartType];
  if (prefixed === undefined) return head;
  let records = 0;
  for (let at = start + OFP_HEADER_LEN + 8; at < end; records++) {
    const len = at + 2 <= end ? buf.readUInt16BE(at) : 0;
    if (len < prefixed.min || at + len > end) throw new OfpDecodeError('bad_length', `${prefixed.what} length ${len} (at least ${prefixed.min}, within the message)`, at - start);
    at += len;
  }
  return { ...head, records };
}
