import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ConnectionClosedError } from '../../src/controller/errors.js';
import { Framer, MessageType, decodeMessage, encodeMessage, type OfpMessage } from '../../src/openflow/index.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/** One switch channel over real TCP: version negotiation, echo, xids, and what a closed channel does. */

/** A raw peer that sends one HELLO and collects what comes back, decoded. */
async function rawHello(of: number, hello: Buffer): Promise<{ received: OfpMessage[]; closed: Promise<void>; socket: Socket }> {
  const received: OfpMessage[] = [];
  const framer = new Framer();
  const socket = await new Promise<Socket>((resolve) => {
    const s = connect(of, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
  });
  socket.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk)) received.push(decodeMessage(f));
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(hello);
  return { received, closed, socket };
}

/** An 8-byte HELLO, header only (as OpenFlow 1.0 switches send), xid 7. */
const helloWithoutBitmap = (version: number): Buffer => Buffer.from([version, MessageType.HELLO, 0, 8, 0, 0, 0, 7]);

test('version negotiation: a bitmap with 1.3 connects; without it, or a header below 1.3 and no bitmap, gets HELLO_FAILED/INCOMPATIBLE naming what was offered', async () => {
  const { server, port: of, logs } = await startController();
  try {
    for (const [i, versions] of [[1, 4], [4, 5], [4]].entries()) {
      const sw = await ScriptedSwitch.connect(of, BigInt(0x100 + i), versions);
      await until(() => server.connection((0x100 + i).toString(16).padStart(16, '0')) !== undefined, `versions ${versions} connect`);
      sw.destroy();
    }
    const cases: Array<[Buffer, string]> = [
      [encodeMessage({ type: MessageType.HELLO, xid: 7, versions: [1, 5] }), '1,5'],
      [helloWithoutBitmap(1), '1'],
    ];
    for (const [hello, offered] of cases) {
      const peer = await rawHello(of, hello);
      await peer.closed;
      const text = `svcswitch speaks OpenFlow 1.3 (0x04) only; switch offered ${offered}`;
      const error = peer.received.find((m) => m.type === MessageType.ERROR) as Extract<OfpMessage, { type: MessageType.ERROR }> & { code: number };
      assert.deepEqual([error.xid, error.errType, error.code, error.data.toString()], [7, 0, 0, text], `offered ${offered}`);
      assert.ok(logs.some((l) => l.message === 'switch handshake failed' && l.level === 'warn' && l.error === text));
    }
    // A header of a newer version and no bitmap: 1.3 is assumed to be among its versions.
    const newer = await rawHello(of, helloWithoutBitmap(5));
    await until(() => newer.received.some((m) => m.type === MessageType.FEATURES_REQUEST), 'past HELLO: features asked');
    newer.socket.destroy();
    assert.equal(server.connected.size, 0, 'only the scripted switches ever connected, and they left');
  } finally {
    await server.close();
  }
});

test('echo requests are answered with their xid and data; requests get fresh xids unless given one; a message with no reply cannot be requested', async () => {
  // No keepalive echo of the controller's own comes between the requests counted here.
  const { server, port: of } = await startController({ echoIntervalMs: 600_000 });
  try {
    const sw = await ScriptedSwitch.connect(of, 0x200n);
    await until(() => server.connected.size === 1, 'connected');
    const conn = server.connection('0000000000000200')!;
    sw.send({ type: MessageType.ECHO_REQUEST, xid: 77, data: Buffer.from([9, 8, 7]) });
    await until(() => sw.received.some((m) => m.type === MessageType.ECHO_REPLY), 'echo reply');
    const reply = sw.received.find((m) => m.type === MessageType.ECHO_REPLY) as Extract<OfpMessage, { type: MessageType.ECHO_REPLY }>;
    assert.deepEqual([reply.xid, [...reply.data]], [77, [9, 8, 7]]);
    await conn.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    await conn.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    await conn.request({ type: MessageType.ECHO_REQUEST, xid: 4321, data: Buffer.alloc(0) });
    const xids = sw.received.filter((m) => m.type === MessageType.ECHO_REQUEST).map((m) => m.xid);
    assert.equal(xids.length, 3);
    assert.ok(xids[0] !== 0 && xids[1] !== 0 && xids[0] !== xids[1], `fresh xids: ${xids.join(', ')}`);
    assert.equal(xids[1], (xids[0]! + 1) >>> 0 || 1, 'one after the other');
    assert.equal(xids[2], 4321, 'a given xid is kept');
    await assert.rejects(conn.request({ type: MessageType.BARRIER_REPLY, xid: 0 }), { message: 'BARRIER_REPLY has no reply; use send() or batch()' });
    const echo = await conn.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.from('ok') });
    assert.deepEqual([echo.type, [...(echo as { data: Buffer }).data]], [MessageType.ECHO_REPLY, [...Buffer.from('ok')]]);
    sw.destroy();
    await until(() => server.connected.size === 0, 'gone');
    // A closed channel: send and request reject, typed; post drops without a word.
    await assert.rejects(conn.send({ type: MessageType.BARRIER_REQUEST, xid: 0 }), (e: Error) => e instanceof ConnectionClosedError && e.message === 'switch 0000000000000200 is disconnected');
    await assert.rejects(conn.request({ type: MessageType.BARRIER_REQUEST, xid: 0 }), ConnectionClosedError);
    await assert.rejects(conn.batch([{ type: MessageType.BARRIER_REQUEST, xid: 0 }]), ConnectionClosedError);
    assert.doesNotThrow(() => conn.post({ type: MessageType.BARRIER_REQUEST, xid: 0 }));
    assert.equal(conn.isClosed, true);
  } finally {
    await server.close();
  }
});
