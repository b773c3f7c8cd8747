import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionClosedError } from '../../src/controller/errors.js';
import { ErrorType, FlowModFailedCode, MessageType, MultipartFlags, MultipartType, PortReason, encodeMessage, type OfpMessage } from '../../src/openflow/index.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch, endlessPortDesc, port } from '../../lab/scripted-switch.js';
import { next, until } from '../../lab/wait.js';

/** What a switch (or something that says it is one) may try: every limit of the channel, each shown to hold. */

test('a PORT_DESC reply of endless parts flagged "more" is cut at the part limit, and the channel closes', async () => {
  const { server, port: of, logs } = await startController({ maxReplyParts: 50 });
  try {
    // Part after part, every one saying more follows, as long as the socket is open.
    const sw = await ScriptedSwitch.connect(of, 0x11n, [4], (s) => (s.script = endlessPortDesc(200)));
    await sw.closed;
    assert.equal(server.connected.size, 0, 'never registered');
    assert.ok(
      logs.some((l) => /handshake failed/.test(String(l.message)) && /exceeds 50 parts or \d+ bytes \(51 parts/.test(String(l.error))),
      JSON.stringify(logs.map((l) => [l.message, l.error])),
    );
  } finally {
    await server.close();
  }
});

test('a multipart reply over the byte limit is cut too, with the bytes in the reason', async () => {
  const { server, port: of, logs } = await startController({ maxReplyBytes: 4096 });
  try {
    const forty = Array.from({ length: 40 }, (_, n) => port(n + 1));
    const sw = await ScriptedSwitch.connect(of, 0x12n, [4], (s) => (s.script = endlessPortDesc(3, () => forty)));
    await sw.closed;
    assert.equal(server.connected.size, 0);
    // Two parts of 40 ports (2,576 bytes each) are past 4,096 bytes, well within the part limit: the byte bound cut it.
    assert.ok(logs.some((l) => /exceeds \d+ parts or 4096 bytes \(2 parts, 5152 bytes so far\)/.test(String(l.error))), JSON.stringify(logs.map((l) => l.error ?? l.reason)));
  } finally {
    await server.close();
  }
});

test('ports per switch are bounded: PORT_STATUS ADDs beyond the limit are ignored, deletes free places', async () => {
  const { server, port: of, logs } = await startController({ maxPorts: 8 });
  try {
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(of, 0x13n, [4], (s) => (s.ports = [port(1), port(2)]));
    const { connection } = await up;
    const seen: number[] = [];
    server.portStatus$.subscribe(({ message }) => seen.push(message.port.portNo));
    for (let p = 3; p <= 1000; p++) sw.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.ADD, port: port(p) });
    sw.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.DELETE, port: port(2) });
    sw.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.ADD, port: port(2000) });
    await until(() => seen.includes(2000), 'the add after a delete');
    assert.deepEqual(connection.ports.map((p) => p.portNo).sort((a, b) => a - b), [1, 3, 4, 5, 6, 7, 8, 2000]);
    // Only what was taken in reached the applications; the refusals were logged a few times, not 992.
    assert.deepEqual(seen, [3, 4, 5, 6, 7, 8, 2, 2000]);
    const warned = logs.filter((l) => l.message === 'switch reports more ports than allowed; port ignored').length;
    assert.ok(warned >= 1 && warned <= 5, `${warned} warn lines`);
    sw.destroy();
  } finally {
    await server.close();
  }
});

test('a second connection for a datapath id whose channel answers echoes is refused; the holder keeps its tables', async () => {
  const { server, port: of, logs } = await startController({ duplicateEchoMs: 500 });
  try {
    const up = next(server.switchUp$, 'switch up');
    const real = await ScriptedSwitch.connect(of, 0x14n);
    const { connection } = await up;
    const downs: string[] = [];
    server.switchDown$.subscribe((d) => downs.push(d.reason));
    const impostors = await Promise.all(Array.from({ length: 20 }, () => ScriptedSwitch.connect(of, 0x14n)));
    await Promise.all(impostors.map((s) => s.closed));
    assert.equal(server.connection('0000000000000014'), connection, 'the first channel still holds the dpid');
    assert.deepEqual(downs, []);
    const warned = logs.filter((l) => l.message === 'second connection for a datapath id whose channel is alive; refused');
    assert.ok(warned.length >= 1 && warned.length <= 5, `${warned.length} warn lines (rate-limited)`);
    assert.equal(warned[0]!.level, 'warn');
    // A holder that has gone silent is replaced: that is a switch reconnecting.
    real.answering = false;
    const replaced = next(server.switchUp$, 'replacement up', 5000, (s) => s.connection !== connection);
    const again = await ScriptedSwitch.connect(of, 0x14n);
    await replaced;
    assert.equal(connection.isClosed, true);
    again.destroy();
    real.destroy();
  } finally {
    await server.close();
  }
});

test('switches the admission rule refuses are closed with a reason and leave nothing behind', async () => {
  const { server, port: of, logs } = await startController({ admit: (dpid) => (dpid === '0000000000000001' ? undefined : `${dpid} is not declared`) });
  try {
    const strangers = await Promise.all(Array.from({ length: 50 }, (_, i) => ScriptedSwitch.connect(of, BigInt(0x1000 + i))));
    await Promise.all(strangers.map((s) => s.closed));
    assert.equal(server.connected.size, 0);
    const refused = logs.filter((l) => l.message === 'switch refused');
    assert.ok(refused.length >= 1 && refused.length <= 5, `${refused.length} lines`);
    assert.match(String(refused[0]!.reason), /^0000000000001000 is not declared$/);
    const up = next(server.switchUp$, 'declared switch up');
    const ok = await ScriptedSwitch.connect(of, 0x1n);
    await up;
    ok.destroy();
  } finally {
    await server.close();
  }
});

test('an OFPT_ERROR flood is logged a few times and counted, not a line each', async () => {
  const { server, port: of, logs } = await startController();
  try {
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(of, 0x15n);
    await up;
    const errors: number[] = [];
    server.errors$.subscribe(({ message }) => errors.push(message.xid));
    for (let i = 0; i < 2000; i++) sw.send({ type: MessageType.ERROR, xid: 0x7000 + i, errType: ErrorType.FLOW_MOD_FAILED, code: FlowModFailedCode.TABLE_FULL, data: Buffer.alloc(0) });
    await until(() => errors.length === 2000, 'every error reaches errors$');
    const lines = logs.filter((l) => l.message === 'switch reported an error');
    assert.equal(lines.length, 5);
    sw.destroy();
    await until(() => logs.some((l) => /switch reported an error \(1995 more like this were not logged\)/.test(String(l.message))), 'the count, when the channel closes');
  } finally {
    await server.close();
  }
});

test('switches that stop reading are cut at the total write budget, not only each at its own limit', async () => {
  const budget = 8 * 1024 * 1024;
  const { server, port: of, logs } = await startController({ maxTotalWriteBufferBytes: budget, maxWriteBufferBytes: 64 * 1024 * 1024 });
  try {
    const sws: ScriptedSwitch[] = [];
    for (let i = 0; i < 4; i++) {
      const up = next(server.switchUp$, `switch ${i} up`, 5000, (s) => s.dpid === (0x20n + BigInt(i)).toString(16).padStart(16, '0'));
      sws.push(await ScriptedSwitch.connect(of, 0x20n + BigInt(i)));
      await up;
    }
    for (const s of sws) s.socket.pause(); // they stop reading
    const big = Buffer.alloc(60_000);
    const closed = new Set<string>();
    server.switchDown$.subscribe((d) => closed.add(d.dpid));
    for (let round = 0; round < 400 && closed.size < 4; round++) {
      for (const c of server.connected.values()) c.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: 0xfffffffd, actions: [], data: big });
      await new Promise((r) => setImmediate(r));
    }
    await until(() => closed.size >= 1, 'a channel cut');
    assert.ok(logs.some((l) => /switches are not reading: \d+ bytes unsent over all channels \(limit 8388608\)/.test(String(l.reason ?? ''))), 'cut for the total, not its own limit');
    for (const s of sws) s.destroy();
  } finally {
    await server.close();
  }
});

test('a bounded multipart read decodes parts until the bound and counts the rest; skipped parts still count against the part limit, and a broken one still closes the channel', async () => {
  const { server, port: of, logs } = await startController({ maxReplyParts: 50 });
  try {
    const flow = (priority: number) => ({ tableId: 0, durationSec: 0, durationNsec: 0, priority, idleTimeout: 0, hardTimeout: 0, flags: 0, cookie: 1n, packetCount: 0n, byteCount: 0n, match: {}, instructions: [] });
    /** Answers flow stats with `parts` parts of 100 flows; part `broken` has a record length of 8. */
    const flowParts = (parts: number, broken?: number): ScriptedSwitch['script'] => (m, sw) => {
      if (m.type !== MessageType.MULTIPART_REQUEST || m.body.mpType !== MultipartType.FLOW) return false;
      for (let i = 0; i < parts; i++) {
        const bytes = encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: m.xid, flags: i < parts - 1 ? MultipartFlags.REPLY_MORE : 0, body: { mpType: MultipartType.FLOW, flows: Array.from({ length: 100 }, (_, k) => flow(i * 100 + k)) } } as OfpMessage);
        if (i === broken) bytes.writeUInt16BE(8, 16);
        sw.socket.write(bytes);
      }
      return true;
    };
    const request = { mpType: MultipartType.FLOW, tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: {} } as const;
    const up = next(server.switchUp$, 'switch up');
    const sw = await ScriptedSwitch.connect(of, 0x14n, [4], (s) => (s.script = flowParts(10)));
    const { connection } = await up;
    const bounded = await connection.multipartUpTo(request, 250);
    const decoded = bounded.parts.flatMap((p) => (p.mpType === MultipartType.FLOW ? p.flows.map((f) => f.priority) : []));
    assert.deepEqual([decoded.length, decoded.at(-1), bounded.records, bounded.complete], [300, 299, 1000, false], 'the part that crosses the bound is read whole; the other seven are counted');
    const whole = await connection.multipartUpTo(request, 1000);
    assert.deepEqual([whole.parts.length, whole.records, whole.complete], [10, 1000, true]);
    sw.script = flowParts(60);
    await assert.rejects(connection.multipartUpTo(request, 100), ConnectionClosedError);
    assert.ok(logs.some((l) => l.message === 'switch channel closed' && /exceeds 50 parts .*\(51 parts/.test(String(l.reason))), 'skipped parts count against the limit');
    const up2 = next(server.switchUp$, 'switch up again');
    const again = await ScriptedSwitch.connect(of, 0x15n, [4], (s) => (s.script = flowParts(10, 8)));
    const second = (await up2).connection;
    await assert.rejects(second.multipartUpTo(request, 100), ConnectionClosedError);
    assert.ok(logs.some((l) => l.message === 'malformed OpenFlow message; closing the channel' && /flow stats length 8/.test(String(l.error))), 'a skipped part is still checked for framing');
    sw.destroy();
    again.destroy();
  } finally {
    await server.close();
  }
});
