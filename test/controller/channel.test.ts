import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionClosedError, RequestTimeoutError } from '../../src/controller/errors.js';
import { MessageType, flowMod, inst, act } from '../../src/openflow/index.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch } from '../../lab/scripted-switch.js';
import { next, until } from '../../lab/wait.js';

/** Channel behaviour driven by a scripted switch over real TCP. */

test('a switch that goes silent is dropped within three echo intervals', async () => {
  const interval = 100;
  const { server, port } = await startController({ echoIntervalMs: interval });
  try {
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(port, 0x1n);
    await up;
    // Healthy for a while: it answers our echoes.
    await new Promise((r) => setTimeout(r, 4 * interval));
    assert.equal(server.connected.size, 1);
    assert.ok(sw.received.some((m) => m.type === MessageType.ECHO_REQUEST), 'controller sent ECHO_REQUEST when idle');
    // Generous bound: the machine is shared, so this checks detection happens, not its speed.
    const down = next(server.switchDown$, 'switch down', 3 * interval + 5000);
    sw.answering = false;
    const d = await down;
    assert.match(d.reason, /no message for \d+ ms \(3 echo intervals of 100 ms\)/);
    sw.destroy();
  } finally {
    await server.close();
  }
});

test('a malformed message closes that channel with a logged reason; the controller goes on', async () => {
  const { server, port, logs } = await startController();
  try {
    const up = next(server.switchUp$, 'switch up', 5000, (s) => s.dpid === '0000000000000002');
    const bad = await ScriptedSwitch.connect(port, 0x2n);
    await up;
    const down = next(server.switchDown$, 'bad switch down');
    // An OFPT_PORT_STATUS whose body is 3 bytes long.
    bad.socket.write(Buffer.from('040c000b00000009010203', 'hex'));
    const d = await down;
    assert.match(d.reason, /malformed message/);
    assert.ok(logs.some((l) => l.message === 'malformed OpenFlow message; closing the channel' && l.code === 'truncated'));
    await bad.closed;
    // A framing error (length below the header) is handled the same way.
    const up3 = next(server.switchUp$, 'third switch up', 5000, (s) => s.dpid === '0000000000000003');
    const worse = await ScriptedSwitch.connect(port, 0x3n);
    await up3;
    worse.socket.write(Buffer.from('0400000200000000', 'hex'));
    await worse.closed;
    // The controller still serves switches.
    const up4 = next(server.switchUp$, 'fourth switch up', 5000, (s) => s.dpid === '0000000000000004');
    const good = await ScriptedSwitch.connect(port, 0x4n);
    await up4;
    assert.equal(server.connected.size, 1);
    good.destroy();
  } finally {
    await server.close();
  }
});

test('an unanswered request times out typed; pending requests fail when the switch leaves', async () => {
  const { server, port } = await startController({ requestTimeoutMs: 300 });
  try {
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(port, 0x5n);
    const { connection } = await up;
    sw.answering = false;
    await assert.rejects(connection.request({ type: MessageType.BARRIER_REQUEST, xid: 0 }), RequestTimeoutError);
    const pending = connection.request({ type: MessageType.BARRIER_REQUEST, xid: 0 });
    sw.destroy();
    await assert.rejects(pending, ConnectionClosedError);
  } finally {
    await server.close();
  }
});

test('backpressure: a switch that stops reading makes send() wait, then is dropped at the limit', async () => {
  const { server, port } = await startController({ maxWriteBufferBytes: 4 * 1024 * 1024 });
  try {
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(port, 0x6n);
    const { connection } = await up;
    sw.socket.pause(); // stops reading: the kernel buffers fill, then ours.
    const mod = flowMod({ match: { in_port: 1 }, instructions: [inst.apply([act.output(2)])] });
    let waited = false;
    let dropped = false;
    for (let i = 0; i < 200_000 && !dropped; i++) {
      const p = connection.send(mod);
      const settled = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5))]);
      if (!settled) {
        waited = true; // send() did not resolve: the caller is held back.
        break;
      }
      dropped = connection.isClosed;
    }
    assert.ok(waited, 'send() made the caller wait once the socket was full');
    // Callers that ignore the promise are not allowed to grow memory without bound.
    for (let i = 0; i < 100_000 && !connection.isClosed; i++) void connection.send(mod).catch(() => {});
    await until(() => connection.isClosed, 'drop at the write-buffer limit', 5000);
    sw.destroy();
  } finally {
    await server.close();
  }
});
