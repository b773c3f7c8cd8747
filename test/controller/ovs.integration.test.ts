import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BatchRejectedError, OpenFlowErrorReply } from '../../src/controller/errors.js';
import {
  FlowModCommand, GroupModCommand, GroupType, MessageType, MultipartType, PacketInReason, PortNo, PortReason,
  TableId, act, bucket, flowMod, inst, type FlowMod, type MultipartReplyBody,
} from '../../src/openflow/index.js';
import type { OpenFlowServer, ServerOptions } from '../../src/controller/openflow-server.js';
import type { SwitchConnection } from '../../src/controller/switch-connection.js';
import { startController } from '../../lab/controller.js';
import { addBridge, bridgeName, delBridge, ofctl, requireOvs, vsctl } from '../../lab/ovs.js';
import { next, until } from '../../lab/wait.js';

/** Everything here runs against the real ovs-vswitchd, userspace datapath. */

const bridges: string[] = [];
async function bridge(port: number, dpid: bigint, protocols?: string): Promise<string> {
  const name = bridgeName();
  bridges.push(name);
  await addBridge(name, { dpid, controllerPort: port, ...(protocols ? { protocols } : {}) });
  return name;
}

interface Connected {
  server: OpenFlowServer;
  br: string;
  dpid: string;
  connection: SwitchConnection;
}

/** A controller, one bridge connected to it, the body; then the bridge and the controller go away. */
async function withSwitch(dpid: bigint, body: (c: Connected) => Promise<void>, options: Partial<ServerOptions> = {}): Promise<void> {
  const { server, port } = await startController(options);
  try {
    const up = next(server.switchUp$, 'switch up');
    const br = await bridge(port, dpid);
    const sw = await up;
    await body({ server, br, dpid: sw.dpid, connection: sw.connection });
    await delBridge(br);
  } finally {
    await server.close();
  }
}

before(requireOvs);
after(async () => {
  for (const b of bridges) await delBridge(b);
});

describe('a switch connects', () => {
  test('handshake gives the datapath id and ports, and the switch is listed', () =>
    withSwitch(0xa1n, async ({ server, br, dpid, connection }) => {
      assert.equal(dpid, '00000000000000a1');
      assert.ok(connection.ports.some((p) => p.portNo === PortNo.LOCAL && p.name === br), 'LOCAL port named after the bridge');
      assert.equal(server.connected.get(dpid), connection);
      // A late subscriber is told about the switch that is already connected.
      const late = await next(server.switchUp$, 'replayed switch up', 1000);
      assert.equal(late.dpid, dpid);
    }));

  test('many switches at once', async () => {
    const { server, port } = await startController();
    try {
      const ups = firstValueFrom(server.switchUp$.pipe(take(8), toArray()));
      const names = await Promise.all(Array.from({ length: 8 }, (_, i) => bridge(port, 0xb00n + BigInt(i))));
      const all = await ups;
      assert.deepEqual(new Set(all.map((s) => s.dpid)), new Set(Array.from({ length: 8 }, (_, i) => (0xb00 + i).toString(16).padStart(16, '0'))));
      await Promise.all(names.map(delBridge));
    } finally {
      await server.close();
    }
  });

  test('a switch without OpenFlow 1.3 gets HELLO_FAILED and a log line', async () => {
    const { server, port, logs } = await startController();
    try {
      const br = await bridge(port, 0xc1n, 'OpenFlow10');
      await until(() => logs.some((l) => String(l.reason ?? '').includes('HELLO_FAILED/INCOMPATIBLE')), 'HELLO_FAILED log line');
      assert.equal(server.connected.size, 0);
      await delBridge(br);
    } finally {
      await server.close();
    }
  });
});

describe('flows', () => {
  test('a barrier-confirmed batch is visible in dump-flows; delete by cookie removes it', () =>
    withSwitch(0xd1n, async ({ br, connection }) => {
      await connection.batch([
        flowMod({ cookie: 0x51n, priority: 100, match: { in_port: 1, eth_type: 0x0800, ipv4_dst: '10.0.2.7' }, instructions: [inst.apply([act.setField('ipv4_dst', '10.0.4.100'), act.decNwTtl(), act.output(2)])] }),
        flowMod({ cookie: 0x51n, priority: 200, match: { eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.2.1' }, instructions: [inst.apply([act.output(PortNo.CONTROLLER)])] }),
      ]);
      const flows = await ofctl('dump-flows', br);
      assert.match(flows, /cookie=0x51.*priority=100,ip,in_port=1,nw_dst=10\.0\.2\.7 actions=set_field:10\.0\.4\.100->ip_dst,dec_ttl,output:2/);
      assert.match(flows, /cookie=0x51.*priority=200,arp,arp_tpa=10\.0\.2\.1,arp_op=1 actions=CONTROLLER:65535/);
      await connection.batch([flowMod({ command: FlowModCommand.DELETE, tableId: TableId.ALL, cookie: 0x51n, cookieMask: ~0n, match: {} })]);
      assert.doesNotMatch(await ofctl('dump-flows', br), /cookie=0x51/);
    }));

  test("an invalid flow mod is answered by OVS's own error, surfaced typed and by name", () =>
    withSwitch(0xd2n, async ({ br, connection }) => {
      const good = flowMod({ priority: 1, match: { in_port: 1 }, instructions: [inst.apply([act.output(2)])] });
      const badGroup = flowMod({ priority: 2, match: { in_port: 2 }, instructions: [inst.apply([act.group(77)])] });
      const badTable = flowMod({ tableId: 255, match: {} });
      await assert.rejects(connection.batch([good, badGroup, badTable]), (e: unknown) => {
        assert.ok(e instanceof BatchRejectedError);
        assert.deepEqual(e.errors.map((x) => x.reason).sort(), ['BAD_ACTION/BAD_OUT_GROUP', 'FLOW_MOD_FAILED/BAD_TABLE_ID']);
        assert.ok(e.errors.every((x) => x instanceof OpenFlowErrorReply && x.dpid === '00000000000000d2'));
        return true;
      });
      // The good one of the batch was installed: errors are per message.
      assert.match(await ofctl('dump-flows', br), /priority=1,in_port=1 actions=output:2/);
    }));

  test('flow stats of 5,000 flows arrive in several multipart parts and are reassembled', () =>
    withSwitch(0xd3n, async ({ connection }) => {
      const mods: FlowMod[] = [];
      for (let i = 0; i < 5000; i++) {
        mods.push(flowMod({ cookie: BigInt(i), priority: 10, match: { eth_type: 0x0800, ipv4_dst: `10.${(i >> 8) & 255}.${i & 255}.1` }, instructions: [inst.apply([act.output(1 + (i % 4))])] }));
      }
      await connection.batch(mods);
      const parts = await connection.multipart({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: {} });
      assert.ok(parts.length > 1, `expected several parts, got ${parts.length}`);
      const flows = parts.flatMap((p: MultipartReplyBody) => (p.mpType === MultipartType.FLOW ? p.flows : []));
      assert.equal(flows.length, 5000);
      assert.deepEqual(new Set(flows.map((f) => f.cookie)), new Set(mods.map((m) => m.cookie)));
      const f42 = flows.find((f) => f.cookie === 42n);
      assert.deepEqual(f42?.match, { eth_type: 0x0800, ipv4_dst: '10.0.42.1' });
    }));
});

describe('messages captured from a live bridge decode', () => {
  test('PACKET_IN, PORT_STATUS and the multipart replies', () =>
    withSwitch(0xe1n, async ({ br, connection, dpid, server }) => {

      // PACKET_IN: a packet-out whose action sends the frame back to the controller.
      const frame = Buffer.from('ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002', 'hex');
      const pin = next(server.packetIn$, 'packet-in');
      await connection.send({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(PortNo.CONTROLLER)], data: frame });
      const got = await pin;
      assert.equal(got.dpid, dpid);
      assert.equal(got.message.reason, PacketInReason.ACTION);
      assert.deepEqual(got.message.data, frame);

      // PORT_STATUS: a port added to the bridge.
      const status = next(server.portStatus$, 'port status ADD', 15_000, (e) => e.message.reason === PortReason.ADD);
      await vsctl('add-port', br, `${br}p1`, '--', 'set', 'interface', `${br}p1`, 'type=internal', 'ofport_request=7');
      const ps = await status;
      assert.equal(ps.message.port.portNo, 7);
      assert.equal(ps.message.port.name, `${br}p1`);

      // Multipart replies of every kind the controller uses.
      await connection.batch([
        { type: MessageType.GROUP_MOD, xid: 0, command: GroupModCommand.ADD, groupType: GroupType.SELECT, groupId: 5, buckets: [bucket([act.output(7)], { weight: 1 }), bucket([act.output(PortNo.LOCAL)], { weight: 2 })] },
        flowMod({ priority: 9, match: { in_port: 7 }, instructions: [inst.apply([act.group(5)])] }),
      ]);
      const one = async <T extends MultipartReplyBody['mpType']>(mpType: T, body: object = {}): Promise<Extract<MultipartReplyBody, { mpType: T }>> => {
        const parts = await connection.multipart({ mpType, ...body } as never);
        assert.equal(parts[0]?.mpType, mpType);
        return parts[0] as Extract<MultipartReplyBody, { mpType: T }>;
      };
      const desc = await one(MultipartType.DESC);
      assert.equal(desc.desc.mfrDesc, 'Nicira, Inc.');
      const ports = await one(MultipartType.PORT_DESC);
      assert.deepEqual(ports.ports.map((p) => p.portNo).sort((a, b) => a - b), [7, PortNo.LOCAL]);
      const stats = await one(MultipartType.PORT_STATS, { portNo: PortNo.ANY });
      assert.ok(stats.ports.some((p) => p.portNo === 7));
      const tables = await one(MultipartType.TABLE);
      assert.equal(tables.tables[0]?.tableId, 0);
      assert.equal(tables.tables[0]?.activeCount, 1);
      const agg = await one(MultipartType.AGGREGATE, { tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: {} });
      assert.equal(agg.flowCount, 1);
      const gdesc = await one(MultipartType.GROUP_DESC);
      assert.deepEqual(gdesc.groups[0]?.buckets.map((b) => b.weight), [1, 2]);
      const gstats = await one(MultipartType.GROUP, { groupId: 0xfffffffc });
      assert.equal(gstats.groups[0]?.groupId, 5);
      assert.equal(gstats.groups[0]?.refCount, 1);
      const meters = await one(MultipartType.METER, { meterId: 0xffffffff });
      assert.deepEqual(meters.meters, []);
    }));
});

describe('connection lifecycle', () => {
  test('the switch reconnects after the controller restarts', async () => {
    let { server, port } = await startController();
    const br = await bridge(port, 0xf1n);
    try {
      await next(server.switchUp$, 'first connection');
      await server.close();
      ({ server } = await startController({}, port));
      const again = await next(server.switchUp$, 'reconnection after restart', 20_000);
      assert.equal(again.dpid, '00000000000000f1');
    } finally {
      await server.close();
      await delBridge(br);
    }
  });

  test('del-controller is detected as a disconnect', () =>
    withSwitch(0xf2n, async ({ br, dpid, server }) => {
      const down = next(server.switchDown$, 'switch down');
      await vsctl('del-controller', br);
      const d = await down;
      assert.equal(d.dpid, dpid);
      assert.equal(server.connected.size, 0);
    }));

  test('echo keepalive: a live switch answers and stays connected over several intervals', () =>
    withSwitch(0xf3n, async ({ connection }) => {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(connection.isClosed, false);
      const reply = await connection.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.from('svcswitch') });
      assert.equal(reply.type, MessageType.ECHO_REPLY);
      assert.deepEqual(reply.type === MessageType.ECHO_REPLY && reply.data, Buffer.from('svcswitch'));
    }, { echoIntervalMs: 200 }));
});

