import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Framer, MessageType, OfpDecodeError, decodeMessage, encodeMessage, flowMod, inst, act } from '../../src/openflow/index.js';

const messages = [
  encodeMessage({ type: MessageType.HELLO, xid: 1, versions: [4] }),
  encodeMessage(flowMod({ xid: 2, match: { in_port: 1 }, instructions: [inst.apply([act.output(2)])] })),
  encodeMessage({ type: MessageType.ECHO_REQUEST, xid: 3, data: Buffer.alloc(1000, 7) }),
];
const stream = Buffer.concat(messages);

test('coalesced messages in one chunk come out whole and in order', () => {
  const frames = new Framer().push(stream);
  assert.deepEqual(frames, messages);
});

test('a stream split at every possible byte boundary yields the same frames', () => {
  for (let cut = 1; cut < stream.length; cut++) {
    const f = new Framer();
    const frames = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    assert.deepEqual(frames, messages, `cut at ${cut}`);
    assert.equal(f.buffered, 0);
  }
});

test('one byte at a time', () => {
  const f = new Framer();
  const frames: Buffer[] = [];
  for (const b of stream) frames.push(...f.push(Buffer.from([b])));
  assert.deepEqual(frames.map((x) => decodeMessage(x).xid), [1, 2, 3]);
});

test('a length below the header is a typed error, and the framer stays failed', () => {
  const f = new Framer();
  const bad = Buffer.from('0400000400000001', 'hex');
  assert.throws(() => f.push(bad), (e: unknown) => e instanceof OfpDecodeError && e.code === 'bad_length');
  assert.throws(() => f.push(messages[0]!), OfpDecodeError);
});

test('decode rejects wrong versions, unknown types and lengths that disagree', () => {
  const expectCode = (hex: string, code: string): void =>
    assert.throws(() => decodeMessage(Buffer.from(hex, 'hex')), (e: unknown) => e instanceof OfpDecodeError && e.code === code, hex);
  expectCode('0102000800000001', 'bad_version');
  expectCode('04ff000800000001', 'bad_type');
  expectCode('0402000900000001', 'bad_length');
  expectCode('0406000800000001', 'truncated'); // FEATURES_REPLY without a body
  expectCode('04', 'truncated');
  // A HELLO of another version is decoded: it is how a 1.0 switch introduces itself.
  assert.equal(decodeMessage(Buffer.from('0100000800000001', 'hex')).type, MessageType.HELLO);
});

test('each() visits the messages where they sit in the chunk; decoding there equals decoding a copy', () => {
  const seen: Array<[number, number]> = [];
  const f = new Framer();
  f.each(stream.subarray(0, 30), (_buf, start, end) => seen.push([start, end]));
  f.each(stream.subarray(30), (buf, start, end) => {
    seen.push([start, end]);
    assert.deepEqual(decodeMessage(buf, start, end), decodeMessage(Buffer.from(buf.subarray(start, end))));
  });
  // The first message lies in the first chunk; the second straddles both (copied whole); the third is in place.
  assert.deepEqual(seen, [[0, messages[0]!.length], [0, messages[1]!.length], [messages[1]!.length - (30 - messages[0]!.length), messages[1]!.length - (30 - messages[0]!.length) + messages[2]!.length]]);
});

test('a decode error inside a chunk gives its offset from the message start, not the chunk start', () => {
  const bad = Buffer.from(messages[1]!);
  bad.writeUInt16BE(3, 50); // a FLOW_MOD's match length (at byte 50) below its 4-byte header
  const chunk = Buffer.concat([messages[0]!, bad]);
  const direct = (() => { try { decodeMessage(bad); } catch (e) { return e as OfpDecodeError; } })();
  const inPlace = (() => { try { decodeMessage(chunk, messages[0]!.length, chunk.length); } catch (e) { return e as OfpDecodeError; } })();
  assert.ok(direct instanceof OfpDecodeError && inPlace instanceof OfpDecodeError);
  assert.equal(inPlace.offset, direct.offset);
  assert.equal(inPlace.message, direct.message);
});

test('a visitor that throws leaves the framer failed, as a framing error does', () => {
  const f = new Framer();
  assert.throws(() => f.each(stream, () => { throw new OfpDecodeError('bad_value', 'handler says no'); }), OfpDecodeError);
  assert.throws(() => f.push(messages[0]!), /framer used after a framing error/);
});
