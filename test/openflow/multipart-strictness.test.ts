import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, MultipartType, OfpDecodeError, Reader, Writer, decodeMessage, encodeMessage, peekMultipartReply, readMatch, writeMatch, type Match, type OfpMessage } from '../../src/openflow/index.js';

/**
 * Multipart bodies a switch could get wrong, each refused with its exact error and offset; the
 * types the controller only passes through (table features, experimenter) kept byte for byte.
 */

/** A MULTIPART_REQUEST (18) or MULTIPART_REPLY (19) of `mpType` with `body` (hex), header and all. */
function multipart(type: 18 | 19, mpType: number, bodyHex: string): Buffer {
  const body = Buffer.from(bodyHex.replace(/\s+/g, ''), 'hex');
  const buf = Buffer.alloc(16 + body.length);
  buf.writeUInt8(4, 0);
  buf.writeUInt8(type, 1);
  buf.writeUInt16BE(buf.length, 2);
  buf.writeUInt32BE(9, 4);
  buf.writeUInt16BE(mpType, 8);
  body.copy(buf, 16);
  return buf;
}

const refused = (buf: Buffer): { code: string; message: string } => {
  try {
    decodeMessage(buf);
  } catch (e) {
    assert.ok(e instanceof OfpDecodeError, String(e));
    return { code: e.code, message: e.message };
  }
  assert.fail('decoded');
};

const zeros = (n: number): string => '00'.repeat(n);
const u16 = (n: number): string => n.toString(16).padStart(4, '0');

test('length-prefixed records shorter than their header are refused, with where', () => {
  assert.deepEqual(refused(multipart(19, MultipartType.FLOW, u16(8) + zeros(6))), { code: 'bad_length', message: 'flow stats length 8 < 56 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.GROUP, u16(24) + zeros(22))), { code: 'bad_length', message: 'group stats length 24 < 40 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.GROUP_DESC, u16(4) + zeros(2))), { code: 'bad_length', message: 'group desc length 4 < 8 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.METER_CONFIG, u16(6) + zeros(4))), { code: 'bad_length', message: 'meter config length 6 < 8 (at byte 16)' });
  // ofp_meter_stats has its length after the meter id.
  assert.deepEqual(refused(multipart(19, MultipartType.METER, zeros(4) + u16(32) + zeros(26))), { code: 'bad_length', message: 'meter stats length 32 < 40 (at byte 16)' });
  // An empty body is an empty list, not an error.
  assert.deepEqual((decodeMessage(multipart(19, MultipartType.FLOW, '')) as { body: unknown }).body, { mpType: MultipartType.FLOW, flows: [] });
});

test('fixed-size records that do not divide the body are refused', () => {
  assert.deepEqual(refused(multipart(19, MultipartType.TABLE, zeros(25))), { code: 'bad_length', message: 'table stats: 25 bytes is not a multiple of 24 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.PORT_STATS, zeros(113))), { code: 'bad_length', message: 'port stats: 113 bytes is not a multiple of 112 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.QUEUE, zeros(41))), { code: 'bad_length', message: 'queue stats: 41 bytes is not a multiple of 40 (at byte 16)' });
  assert.deepEqual(refused(multipart(19, MultipartType.PORT_DESC, zeros(65))), { code: 'bad_length', message: 'port: 65 bytes is not a multiple of 64 (at byte 16)' });
});

test('counters that are not whole 16-byte pairs after a group or meter record are refused', () => {
  assert.deepEqual(refused(multipart(19, MultipartType.GROUP, u16(48) + zeros(46))), { code: 'bad_length', message: 'group bucket counters (at byte 56)' });
  assert.deepEqual(refused(multipart(19, MultipartType.METER, zeros(4) + u16(48) + zeros(42))), { code: 'bad_length', message: 'meter band counters (at byte 56)' });
  // Whole pairs are read as counters.
  const group = decodeMessage(multipart(19, MultipartType.GROUP, `${u16(56)}${zeros(2)}00000007${zeros(32)}${'00'.repeat(7)}03${'00'.repeat(7)}05`)) as { body: { groups: Array<{ groupId: number; buckets: unknown[] }> } };
  assert.deepEqual(group.body.groups.map((g) => [g.groupId, g.buckets]), [[7, [{ packetCount: 3n, byteCount: 5n }]]]);
});

test('an unknown multipart type is refused in a request and in a reply, with the type and its offset', () => {
  assert.deepEqual(refused(multipart(18, 0x7777, '')), { code: 'bad_type', message: 'unknown multipart type 30583 (at byte 8)' });
  assert.deepEqual(refused(multipart(19, 0x7777, '')), { code: 'bad_type', message: 'unknown multipart type 30583 (at byte 8)' });
});

test('what the controller passes through round-trips byte for byte: table features and experimenter bodies, port stats and queue requests', () => {
  const raw = Buffer.from('00400000000000000000000000000000', 'hex');
  const messages: OfpMessage[] = [
    { type: MessageType.MULTIPART_REQUEST, xid: 1, flags: 0, body: { mpType: MultipartType.TABLE_FEATURES, raw } },
    { type: MessageType.MULTIPART_REPLY, xid: 2, flags: 1, body: { mpType: MultipartType.TABLE_FEATURES, raw } },
    { type: MessageType.MULTIPART_REQUEST, xid: 3, flags: 0, body: { mpType: MultipartType.EXPERIMENTER, experimenter: 0x2320, expType: 7, data: Buffer.from([1, 2, 3]) } },
    { type: MessageType.MULTIPART_REPLY, xid: 4, flags: 0, body: { mpType: MultipartType.EXPERIMENTER, experimenter: 0x2320, expType: 8, data: Buffer.from([4]) } },
    { type: MessageType.MULTIPART_REQUEST, xid: 5, flags: 0, body: { mpType: MultipartType.PORT_STATS, portNo: 3 } },
    { type: MessageType.MULTIPART_REQUEST, xid: 6, flags: 0, body: { mpType: MultipartType.QUEUE, portNo: 3, queueId: 9 } },
  ] as OfpMessage[];
  for (const m of messages) {
    const bytes = encodeMessage(m);
    assert.deepEqual(decodeMessage(bytes), m, JSON.stringify(m.type));
  }
  assert.deepEqual([...encodeMessage(messages[2]!).subarray(16)], [0, 0, 0x23, 0x20, 0, 0, 0, 7, 1, 2, 3]);
  assert.deepEqual([...encodeMessage(messages[4]!).subarray(16)], [0, 0, 0, 3, 0, 0, 0, 0]);
  assert.throws(() => encodeMessage({ type: MessageType.MULTIPART_REQUEST, xid: 1, flags: 0, body: { mpType: 0x7777 } } as unknown as OfpMessage), /unknown multipart request \{"mpType":30583\}/);
  assert.throws(() => encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: 1, flags: 0, body: { mpType: 0x7777 } } as unknown as OfpMessage), /unknown multipart reply \{"mpType":30583\}/);
});

// The match is the codec's most used structure: these close what the round trips leave open.
test('match: an OXM of another class is kept as it came and written back in place; undefined fields are skipped; values out of range, the wrong type, unknown fields are refused with the field named', () => {
  // eth_type (basic) then an NXM_1 (0x0001) field 5 with a 4-byte payload.
  const bytes = Buffer.from('0001' + '0012' + '80000a020800' + '00010a04deadbeef' + '000000000000', 'hex');
  const read = readMatch(new Reader(bytes));
  assert.deepEqual(read, { eth_type: 0x0800, other: [{ oxmClass: 1, field: 5, hasMask: false, payload: Buffer.from('deadbeef', 'hex') }] });
  const w = new Writer();
  writeMatch(w, read);
  assert.deepEqual(w.take(), bytes);
  const only = new Writer();
  writeMatch(only, { in_port: 7, eth_type: undefined } as Match);
  assert.equal(only.take().toString('hex'), '0001000c800000040000000700000000', 'in_port alone, padded to 16 bytes');
  const encode = (m: Match): string => {
    try {
      writeMatch(new Writer(), m);
    } catch (e) {
      return (e as Error).message;
    }
    return 'encoded';
  };
  assert.equal(encode({ in_port: 2 ** 32 }), 'match field in_port: 4294967296 is not an unsigned 32-bit integer');
  assert.equal(encode({ in_port: -1 }), 'match field in_port: -1 is not an unsigned 32-bit integer');
  assert.equal(encode({ in_port: 1.5 }), 'match field in_port: 1.5 is not an unsigned 32-bit integer');
  assert.equal(encode({ in_port: '3' } as unknown as Match), 'match field in_port: 3 is not an unsigned 32-bit integer');
  assert.equal(encode({ eth_type: 0x10000 }), 'match field eth_type: 65536 is not an unsigned 16-bit integer');
  assert.equal(encode({ eth_type: 0xffff }), 'encoded', 'the largest 16-bit value fits');
  assert.equal(encode({ metadata: 5 } as unknown as Match), 'match field metadata: expected a bigint');
  assert.equal(encode({ nonsense: 1 } as unknown as Match), 'unknown match field "nonsense"');
});

test('peekMultipartReply: the head of a reply and its record count match what decoding finds; a record length that breaks the body is refused as decoding would; any other message is not a reply', () => {
  const flow = (priority: number) => ({ tableId: 0, durationSec: 0, durationNsec: 0, priority, idleTimeout: 0, hardTimeout: 0, flags: 0, cookie: 1n, packetCount: 0n, byteCount: 0n, match: {}, instructions: [] });
  const flows = Array.from({ length: 37 }, (_, i) => flow(i));
  const buf = encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: 77, flags: 1, body: { mpType: MultipartType.FLOW, flows } } as OfpMessage);
  const decoded = decodeMessage(buf) as Extract<OfpMessage, { type: MessageType.MULTIPART_REPLY }>;
  assert.equal(decoded.body.mpType === MultipartType.FLOW && decoded.body.flows.length, 37);
  assert.deepEqual(peekMultipartReply(buf, 0, buf.length), { xid: 77, mpType: MultipartType.FLOW, flags: 1, records: 37 });
  // Inside a larger buffer, as the framer hands it over.
  const framed = Buffer.concat([Buffer.alloc(5), buf, Buffer.alloc(3)]);
  assert.equal(peekMultipartReply(framed, 5, 5 + buf.length)?.records, 37);
  const groups = encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: 3, flags: 0, body: { mpType: MultipartType.GROUP_DESC, groups: [{ groupType: 0, groupId: 1, buckets: [] }, { groupType: 0, groupId: 2, buckets: [] }] } } as OfpMessage);
  assert.equal(peekMultipartReply(groups, 0, groups.length)?.records, 2);
  const desc = multipart(19, MultipartType.AGGREGATE, '00'.repeat(24));
  assert.deepEqual(peekMultipartReply(desc, 0, desc.length), { xid: 9, mpType: MultipartType.AGGREGATE, flags: 0, records: 1 }, 'a body that is not a list counts as one');
  const short = multipart(19, MultipartType.FLOW, '0010' + '00'.repeat(54));
  assert.throws(() => peekMultipartReply(short, 0, short.length), (e: unknown) => e instanceof OfpDecodeError && e.code === 'bad_length' && /flow stats length 16 \(at least 56/.test(e.message));
  const overrun = multipart(19, MultipartType.FLOW, '0040' + '00'.repeat(54));
  assert.throws(() => peekMultipartReply(overrun, 0, overrun.length), /flow stats length 64 \(at least 56, within the message\)/);
  const request = multipart(18, MultipartType.FLOW, '');
  assert.equal(peekMultipartReply(request, 0, request.length), undefined);
  const otherVersion = Buffer.from(buf);
  otherVersion[0] = 1;
  assert.equal(peekMultipartReply(otherVersion, 0, otherVersion.length), undefined, 'left for decoding to refuse');
});
