import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { certificateDpids, formatDpid, parseDpid } from '../../src/controller/dpid.js';
import { BatchRejectedError, ConnectionClosedError, OpenFlowErrorReply, RequestTimeoutError } from '../../src/controller/errors.js';
import type { FromSwitch, SwitchDown } from '../../src/controller/openflow-server.js';
import { MessageType, PortReason, encodeMessage, type PacketIn, type PortStatus } from '../../src/openflow/index.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch, port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/** The OpenFlow server's own behaviour over real TCP: events, summaries, log lines, and how it ends. */

const packetIn = (inPort: number): PacketIn => ({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: 3, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data: Buffer.from([1, 2, 3]) });

test('connected switches: summaries, log lines, packetIn$ and portStatus$ events, and switch-down with the reason', async () => {
  const { server, port: of, logs } = await startController();
  const ins: Array<FromSwitch<PacketIn>> = [];
  const statuses: Array<FromSwitch<PortStatus>> = [];
  const downs: SwitchDown[] = [];
  const subIn = server.packetIn$.subscribe((e) => ins.push(e));
  server.portStatus$.subscribe((e) => statuses.push(e));
  server.switchDown$.subscribe((e) => downs.push(e));
  try {
    const sw = await ScriptedSwitch.connect(of, 0xa1n, [4], (s) => (s.ports = [port(1), { ...port(2), state: 1 }]));
    await until(() => server.connected.size === 1, 'connected');
    const [summary] = server.switchSummaries();
    assert.deepEqual({ ...summary, peer: summary!.peer.replace(/:\d+$/, ':P') }, {
      dpid: '00000000000000a1', peer: '127.0.0.1:P', tables: 1,
      ports: [{ portNo: 1, name: 'p1', hwAddr: port(1).hwAddr, linkDown: false }, { portNo: 2, name: 'p2', hwAddr: port(2).hwAddr, linkDown: true }],
    });
    const connected = logs.find((l) => l.message === 'switch connected')!;
    assert.deepEqual([connected.dpid, connected.ports, connected.tables], ['00000000000000a1', 2, 1]);
    sw.send(packetIn(7));
    sw.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: { ...port(1), state: 1 } });
    await until(() => ins.length === 1 && statuses.length === 1, 'events');
    assert.deepEqual([ins[0]!.dpid, ins[0]!.message.match, [...ins[0]!.message.data]], ['00000000000000a1', { in_port: 7 }, [1, 2, 3]]);
    assert.deepEqual([statuses[0]!.dpid, statuses[0]!.message.reason, statuses[0]!.message.port.state], ['00000000000000a1', PortReason.MODIFY, 1]);
    subIn.unsubscribe();
    sw.send(packetIn(8));
    await server.connection('00000000000000a1')!.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    assert.equal(ins.length, 1, 'an unsubscribed packetIn$ gets nothing more');
    sw.destroy();
    await until(() => downs.length === 1, 'down');
    assert.equal(downs[0]!.dpid, '00000000000000a1');
    assert.match(downs[0]!.reason, /closed|ended|reset/);
    assert.ok(logs.some((l) => l.message === 'switch disconnected' && l.dpid === '00000000000000a1' && l.reason === downs[0]!.reason));
    assert.equal(server.connection('00000000000000a1'), undefined);
    assert.deepEqual(server.switchSummaries(), []);
  } finally {
    await server.close();
  }
});

test('a late switchUp$ subscriber first gets the switches connected now; close ends every stream and every channel', async () => {
  const { server, port: of, logs } = await startController();
  const sw = await ScriptedSwitch.connect(of, 0xb2n, [4], (s) => (s.ports = [port(3)]));
  await until(() => server.connected.size === 1, 'connected');
  const ups: string[] = [];
  server.switchUp$.subscribe((u) => ups.push(`${u.dpid}:${u.ports.map((p) => p.portNo).join()}`));
  assert.deepEqual(ups, ['00000000000000b2:3']);
  let completed = 0;
  server.packetIn$.subscribe({ complete: () => completed++ });
  server.switchDown$.subscribe({ complete: () => completed++ });
  server.portStatus$.subscribe({ complete: () => completed++ });
  assert.ok(logs.some((l) => l.message === 'listening for OpenFlow 1.3 switches' && /^tcp:127\.0\.0\.1:\d+$/.test(String(l.address))));
  await server.close();
  assert.equal(completed, 3, 'packetIn$, switchDown$ and portStatus$ complete');
  await sw.closed;
  assert.equal(server.connected.size, 0);
});

test('handshake failures: a peer that hangs up is an info line, a wrong version a warn line; neither is registered', async () => {
  const { server, port: of, logs } = await startController({ handshakeTimeoutMs: 2000 });
  try {
    await new Promise<void>((resolve) => {
      const s = connect(of, '127.0.0.1', () => s.end());
      s.resume(); // read the controller's HELLO: a paused socket never sees its end
      s.on('close', () => resolve());
    });
    await until(() => logs.some((l) => l.message === 'switch handshake failed'), 'hang-up logged');
    assert.equal(logs.find((l) => l.message === 'switch handshake failed')!.level, 'info');
    const old = await new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect(of, '127.0.0.1', () => {
        s.write(encodeMessage({ type: MessageType.HELLO, xid: 1, versions: [1] }).fill(1, 0, 1));
        resolve(s);
      });
      s.on('error', () => {});
    });
    await until(() => logs.filter((l) => l.message === 'switch handshake failed').length === 2, 'version logged');
    assert.equal(logs.filter((l) => l.message === 'switch handshake failed')[1]!.level, 'warn');
    old.destroy();
    assert.equal(server.connected.size, 0);
  } finally {
    await server.close();
  }
});

test('a second channel for a dpid whose holder does not answer echoes replaces it, with a warn line', async () => {
  const { server, port: of, logs } = await startController({ duplicateEchoMs: 100 });
  try {
    const first = await ScriptedSwitch.connect(of, 0xc3n);
    await until(() => server.connected.size === 1, 'first');
    first.answering = false;
    const second = await ScriptedSwitch.connect(of, 0xc3n);
    await until(() => logs.some((l) => l.message === 'switch channel replaced: the previous one did not answer an echo'), 'replaced');
    await first.closed;
    await until(() => server.connection('00000000000000c3') !== undefined, 'the newcomer holds it');
    assert.equal(server.connection('00000000000000c3')!.peer, `127.0.0.1:${second.socket.localPort}`, 'held by the second channel');
    assert.ok(logs.some((l) => l.message === 'switch channel closed' && l.reason === 'replaced by a new connection with the same datapath id'));
    second.destroy();
  } finally {
    await server.close();
  }
});

test('datapath ids: 16 hex digits shown; 0x, colons and either case read; anything else refused by name', () => {
  assert.equal(formatDpid(0xa1n), '00000000000000a1');
  assert.equal(formatDpid(0xffffffffffffffffn), 'ffffffffffffffff');
  assert.equal(parseDpid('00:00:00:00:00:00:00:a1'), 0xa1n);
  assert.equal(parseDpid('0xA1'), 0xa1n);
  assert.equal(parseDpid('0XffFF'), 0xffffn);
  assert.equal(parseDpid('ffffffffffffffff'), 0xffffffffffffffffn);
  for (const bad of ['', '0x', 'g1', '1ffffffffffffffff', '12 34', 'x0a1', '-1']) assert.throws(() => parseDpid(bad), { message: `invalid datapath id "${bad}"` }, bad);
});

test('error types carry their names and the switch\'s reason', () => {
  const reply = new OpenFlowErrorReply('00000000000000a1', { type: MessageType.ERROR, xid: 7, errType: 5, code: 3, data: Buffer.alloc(0) } as never);
  assert.equal(reply.name, 'OpenFlowErrorReply');
  assert.equal(reply.message, `switch 00000000000000a1 rejected xid 7: ${reply.reason}`);
  assert.match(reply.reason, /^FLOW_MOD_FAILED\//);
  assert.equal(new RequestTimeoutError('x').name, 'RequestTimeoutError');
  assert.equal(new ConnectionClosedError('x').name, 'ConnectionClosedError');
  const batch = new BatchRejectedError('00000000000000a1', [reply, reply, reply, reply], 10);
  assert.equal(batch.name, 'BatchRejectedError');
  assert.equal(batch.message, `switch 00000000000000a1 rejected 4 of 10 messages: ${[reply.reason, reply.reason, reply.reason].join(', ')}`);
});

test('the datapaths a certificate names: its CN and DNS/URI alternative names written as a dpid, with or without dpid:; other names name none', () => {
  assert.deepEqual(certificateDpids({ subject: { CN: 'dpid:0000000000030001' } }), ['0000000000030001']);
  assert.deepEqual(certificateDpids({ subject: { CN: 'acc1 switch' }, subjectaltname: 'DNS:00:00:00:00:00:03:00:02, URI:dpid=0x30003, IP Address:127.0.0.1, DNS:example.org' }), ['0000000000030002', '0000000000030003']);
  assert.deepEqual(certificateDpids({ subject: { CN: ['0000000000000001', 'zz'] } }), ['0000000000000001']);
  assert.deepEqual(certificateDpids({}), []);
  assert.deepEqual(certificateDpids({ subject: { CN: '00000000000000001' } }), [], 'seventeen digits are no dpid');
});
