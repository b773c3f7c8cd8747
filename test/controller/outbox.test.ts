import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Outbox } from '../../src/controller/outbox.js';
import { Framer, MessageType, OfpEncodeError, decodeMessage, type PacketOut } from '../../src/openflow/index.js';

const decodeAll = (chunks: Buffer[]): Array<[number, number]> =>
  chunks.flatMap((c) => new Framer().push(c)).map((f) => decodeMessage(f)).map((m) => [m.type, m.xid]);

test('what is queued in one tick leaves in one write, with the xids given', async () => {
  const writes: Buffer[] = [];
  const out = new Outbox((b) => writes.push(b));
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 7);
  out.add({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.from('hi') }, 8);
  assert.equal(writes.length, 0, 'nothing before the tick ends');
  await new Promise((r) => process.nextTick(r));
  assert.equal(writes.length, 1);
  assert.deepEqual(decodeAll(writes), [[MessageType.BARRIER_REQUEST, 7], [MessageType.ECHO_REQUEST, 8]]);
  assert.equal(out.take(), undefined, 'nothing left after the flush');
});

test('a full outbox flushes at once, before the tick ends', () => {
  const writes: Buffer[] = [];
  const out = new Outbox((b) => writes.push(b), 20);
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 1);
  assert.equal(writes.length, 0);
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 2);
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 3);
  assert.equal(writes.length, 1, '24 bytes passed the 20-byte mark');
  assert.deepEqual(decodeAll(writes), [[MessageType.BARRIER_REQUEST, 1], [MessageType.BARRIER_REQUEST, 2], [MessageType.BARRIER_REQUEST, 3]]);
});

test('a message that fails to encode leaves nothing behind; what was queued before goes out intact', () => {
  const writes: Buffer[] = [];
  const out = new Outbox((b) => writes.push(b));
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 1);
  const huge: PacketOut = { type: MessageType.PACKET_OUT, xid: 0, actions: [], data: Buffer.alloc(70_000) };
  assert.throws(() => out.add(huge, 2), OfpEncodeError);
  out.flush();
  assert.deepEqual(decodeAll(writes), [[MessageType.BARRIER_REQUEST, 1]]);
});

test('take() hands over the queued bytes and empties the outbox', () => {
  const writes: Buffer[] = [];
  const out = new Outbox((b) => writes.push(b));
  assert.equal(out.take(), undefined);
  out.add({ type: MessageType.BARRIER_REPLY, xid: 0 }, 5);
  assert.deepEqual(decodeAll([out.take()!]), [[MessageType.BARRIER_REPLY, 5]]);
  out.flush();
  assert.equal(writes.length, 0);
});

test('the default threshold is 64 KiB: just under it waits for the tick, at it goes out at once', () => {
  const writes: Buffer[] = [];
  const out = new Outbox((b) => writes.push(b));
  // A PACKET_OUT of 24 header bytes plus its data; 65,512 of data makes it exactly 65,536.
  const packet = (data: number): PacketOut => ({ type: MessageType.PACKET_OUT, xid: 0, inPort: 0xfffffffd, actions: [], data: Buffer.alloc(data) });
  out.add(packet(65_511), 1);
  assert.equal(writes.length, 0, '65,535 bytes wait for the tick');
  out.add({ type: MessageType.BARRIER_REQUEST, xid: 0 }, 2);
  assert.equal(writes.length, 1, 'one more message crosses 64 KiB');
  assert.equal(writes[0]!.length, 65_535 + 8);
});
