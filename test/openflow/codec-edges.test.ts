import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorType, MessageType, OfpDecodeError, OfpEncodeError, Reader, Writer, decodeMessage, describeError, encodeMessage, messageTypeName, type OfpMessage,
} from '../../src/openflow/index.js';

/** The codec's edges, byte for byte: the writer and reader primitives, the header, error texts and names. */

const decodeError = (f: () => unknown): { code: string; message: string; offset: number | undefined } => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OfpDecodeError, `an OfpDecodeError, not ${String(e)}`);
    return { code: e.code, message: e.message, offset: e.offset };
  }
  assert.fail('no error');
};

test('errors: their names, and the byte offset in the message when known', () => {
  const at = new OfpDecodeError('truncated', 'u16: need 2 bytes, 1 left', 9);
  assert.deepEqual([at.name, at.message, at.offset], ['OfpDecodeError', 'u16: need 2 bytes, 1 left (at byte 9)', 9]);
  const nowhere = new OfpDecodeError('bad_value', 'no place');
  assert.deepEqual([nowhere.message, nowhere.offset], ['no place', undefined]);
  assert.equal(new OfpEncodeError('x').name, 'OfpEncodeError');
});

test('writer: grows past its first buffer and keeps what it had; zeros really are zeros at every size; fixed strings are cut and NUL-padded; rewind and take', () => {
  const w = new Writer(4);
  for (let i = 0; i < 10; i++) w.u8(0xff);
  w.u32(0x01020304).u64(0x05060708090a0b0cn);
  assert.deepEqual([...w.take()], [...Array(10).fill(0xff), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // The buffer is reused after take(): stale 0xff bytes must not leak through the padding.
  for (const n of [1, 15, 16, 17, 40]) {
    const reused = new Writer(8);
    for (let i = 0; i < 64; i++) reused.u8(0xff);
    reused.take();
    reused.u8(7).zeros(n).u8(9);
    assert.deepEqual([...reused.take()], [7, ...Array(n).fill(0), 9], `zeros(${n})`);
  }
  const s = new Writer(8);
  for (let i = 0; i < 16; i++) s.u8(0xff);
  s.take();
  s.fixedString('eth0', 8).fixedString('a-very-long-port-name', 8);
  assert.deepEqual(s.take().toString('latin1'), 'eth0\0\0\0\0a-very-\0');
  const r = new Writer(8);
  r.u16(1).u16(2);
  r.rewind(2);
  r.u16(3);
  assert.deepEqual([...r.take()], [0, 1, 0, 3]);
  assert.throws(() => r.rewind(1), /cannot rewind to 1: 0 bytes written/);
  assert.throws(() => r.rewind(-1), /cannot rewind to -1/);
  r.u8(1);
  r.rewind(1);
  assert.equal(r.offset, 1, 'rewinding to where it is changes nothing');
  r.rewind(0);
  assert.equal(r.offset, 0);
  const p = new Writer(4);
  p.u8(1).padTo(8).u8(2).padTo(4, 2);
  assert.deepEqual([...p.take()], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0], 'to a multiple of 4 counted from byte 2');
});

test('reader: each primitive names what it wanted when the bytes run out; u64 after u64 is each its own value; peekU16 up to the last byte', () => {
  const short = (): Reader => new Reader(Buffer.from([0xab]));
  const label = (f: (r: Reader) => unknown): string => decodeError(() => f(short())).message;
  assert.equal(label((r) => r.u16()), 'u16: need 2 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => r.u32()), 'u32: need 4 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => r.u64()), 'u64: need 8 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => r.skip(2)), 'padding: need 2 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => r.bytes(2)), 'bytes: need 2 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => r.fixedString(2)), 'string: need 2 bytes, 1 left (at byte 0)');
  assert.equal(label((r) => { r.u8(); r.u8(); }), 'u8: need 1 bytes, 0 left (at byte 1)');
  assert.equal(label((r) => r.u16('port number')), 'port number: need 2 bytes, 1 left (at byte 0)');

  const values = [1n, 2n, (1n << 32n) | 2n, (2n << 32n) | 2n, (2n << 32n) | 2n, 0xffffffffffffffffn];
  const w = new Writer();
  for (const v of values) w.u64(v);
  const r = new Reader(w.take());
  assert.deepEqual(values.map(() => r.u64()), values);

  const two = new Reader(Buffer.from([1, 2, 3]));
  assert.deepEqual([two.peekU16(0), two.peekU16(1), two.peekU16(2)], [0x0102, 0x0203, undefined]);
  const name = new Reader(Buffer.from('br0\0junk', 'latin1'));
  assert.equal(name.fixedString(8), 'br0');
  assert.equal(new Reader(Buffer.from('12345678', 'latin1')).fixedString(8), '12345678', 'no NUL: all of it');
});

test('the header: a HELLO may carry another version, nothing else may; the type\'s name; what is wrong with a bad header, and where', () => {
  const hello = encodeMessage({ type: MessageType.HELLO, xid: 1, versions: [1, 4], version: 1 } as OfpMessage);
  assert.equal(hello[0], 1);
  assert.equal(encodeMessage({ type: MessageType.HELLO, xid: 1, versions: [4] })[0], 4, 'HELLO defaults to 1.3');
  assert.equal(encodeMessage({ type: MessageType.ECHO_REQUEST, xid: 1, data: Buffer.alloc(0), version: 1 } as OfpMessage)[0], 4, 'every other message is 1.3');
  assert.deepEqual([messageTypeName(0), messageTypeName(14), messageTypeName(99)], ['HELLO', 'FLOW_MOD', 'TYPE_99']);

  const echo = encodeMessage({ type: MessageType.ECHO_REQUEST, xid: 7, data: Buffer.from([1, 2]) });
  assert.deepEqual(decodeError(() => decodeMessage(echo.subarray(0, 7))), { code: 'truncated', message: 'message of 7 bytes is shorter than the header (at byte 0)', offset: 0 });
  assert.deepEqual(decodeError(() => decodeMessage(echo.subarray(0, 9))), { code: 'bad_length', message: 'header length 10 but 9 bytes given (at byte 2)', offset: 2 });
  const v1 = Buffer.from(echo);
  v1[0] = 1;
  assert.deepEqual(decodeError(() => decodeMessage(v1)), { code: 'bad_version', message: 'version 0x1 is not OpenFlow 1.3 (at byte 0)', offset: 0 });
  const unknown = Buffer.from(echo);
  unknown[1] = 99;
  assert.deepEqual(decodeError(() => decodeMessage(unknown)), { code: 'bad_type', message: 'unknown message type 99 (at byte 1)', offset: 1 });
  assert.throws(() => encodeMessage({ type: 99, xid: 1 } as unknown as OfpMessage), (e: Error) => e instanceof OfpEncodeError && e.message === 'unknown message type 99');
});

test('a message over 65535 bytes is refused when encoded, with its size; one of exactly 65535 is not', () => {
  const body = (n: number): OfpMessage => ({ type: MessageType.ECHO_REQUEST, xid: 1, data: Buffer.alloc(n) });
  assert.equal(encodeMessage(body(65535 - 8)).length, 65535);
  assert.throws(() => encodeMessage(body(65535 - 7)), (e: Error) => e instanceof OfpEncodeError && e.message === 'ECHO_REQUEST is 65536 bytes, over the 65535 an OpenFlow message can hold');
});

test('OFPT_ERROR: an experimenter error round-trips with its experimenter and type; both kinds are named', () => {
  const exp: OfpMessage = { type: MessageType.ERROR, xid: 3, errType: ErrorType.EXPERIMENTER, expType: 5, experimenter: 0x2320, data: Buffer.from([9, 9]) };
  const bytes = encodeMessage(exp);
  assert.deepEqual([...bytes.subarray(8)], [0xff, 0xff, 0, 5, 0, 0, 0x23, 0x20, 9, 9]);
  assert.deepEqual(decodeMessage(bytes), exp);
  assert.equal(describeError(exp as Parameters<typeof describeError>[0]), 'EXPERIMENTER(0x2320)/5');
  const plain = decodeMessage(encodeMessage({ type: MessageType.ERROR, xid: 3, errType: ErrorType.BAD_MATCH, code: 4, data: Buffer.alloc(0) }));
  assert.deepEqual(plain, { type: MessageType.ERROR, xid: 3, errType: ErrorType.BAD_MATCH, code: 4, data: Buffer.alloc(0) });
  assert.equal(describeError(plain as Parameters<typeof describeError>[0]), 'BAD_MATCH/BAD_NW_ADDR_MASK');
  assert.equal(decodeError(() => decodeMessage(Buffer.from([4, 1, 0, 9, 0, 0, 0, 1, 0]))).message, 'error type: need 2 bytes, 1 left (at byte 8)');
  assert.equal(decodeError(() => decodeMessage(Buffer.from([4, 1, 0, 11, 0, 0, 0, 1, 0, 1, 0]))).message, 'error code: need 2 bytes, 1 left (at byte 10)');
});
