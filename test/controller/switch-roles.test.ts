import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';
import type { Mastership, RoleGrant } from '../../src/controller/mastership.js';
import { OpenFlowServer, DEFAULT_SERVER_OPTIONS } from '../../src/controller/openflow-server.js';
import { SwitchRoles } from '../../src/controller/switch-roles.js';
import { BadRequestCode, ControllerRole, ErrorType, MessageType, PortNo, RoleRequestFailedCode, type OfpMessage } from '../../src/openflow/index.js';

const DPID = '00000000000000a1';

/** Plays Open vSwitch's role rules (OpenFlow 1.3 §6.3.7): a generation id older than one seen is stale; a slave's writes are refused. */
function ovsRoles(sw: ScriptedSwitch, state: { role: number; generation: bigint | undefined }) {
  sw.script = (m: OfpMessage) => {
    if (m.type === MessageType.ROLE_REQUEST) {
      if (state.generation !== undefined && m.generationId < state.generation) {
        sw.send({ type: MessageType.ERROR, xid: m.xid, errType: ErrorType.ROLE_REQUEST_FAILED, code: RoleRequestFailedCode.STALE, data: Buffer.alloc(0) });
        return true;
      }
      state.generation = m.generationId;
      state.role = m.role;
      sw.send({ type: MessageType.ROLE_REPLY, xid: m.xid, role: m.role, generationId: m.generationId });
      return true;
    }
    if (m.type === MessageType.FLOW_MOD && state.role === ControllerRole.SLAVE) {
      sw.send({ type: MessageType.ERROR, xid: m.xid, errType: ErrorType.BAD_REQUEST, code: BadRequestCode.IS_SLAVE, data: Buffer.alloc(0) });
      return true;
    }
    return false;
  };
}

async function rig() {
  const { logger, lines } = memoryLogger();
  const server = new OpenFlowServer(logger, DEFAULT_SERVER_OPTIONS);
  const grants = new Subject<RoleGrant>();
  const said: string[] = [];
  const mastership: Mastership = {
    clustered: true,
    grants$: grants,
    connected: (d) => said.push(`connected ${d}`),
    disconnected: (d) => said.push(`disconnected ${d}`),
    refused: (d, why) => said.push(`refused ${d}: ${why}`),
  };
  const roles = new SwitchRoles(server, mastership, logger);
  const events: string[] = [];
  roles.up$.subscribe((u) => events.push(`up ${u.dpid}`));
  roles.down$.subscribe((d) => events.push(`down ${d.dpid}: ${d.reason}`));
  roles.start();
  const { port } = await server.listen('127.0.0.1', 0);
  const state = { role: ControllerRole.EQUAL, generation: undefined as bigint | undefined };
  const connect = async () => {
    const sw = await ScriptedSwitch.connect(port, 0xa1n, [4], (s) => ovsRoles(s, state));
    await until(() => server.connection(DPID) !== undefined, 'the switch connected', 5000, 5);
    return sw;
  };
  return { server, roles, grants, said, events, state, connect, lines };
}

const sent = (sw: ScriptedSwitch, type: MessageType) => sw.received.filter((m) => m.type === type);

test('roles: nothing is written before the switch says MASTER; the grant\'s generation id is sent, then SET_ASYNC (packet-ins to the master only, port status to all); a standby drops packet-outs and answers no packet-in', async () => {
  const { server, roles, grants, said, events, state, connect } = await rig();
  try {
    const sw = await connect();
    assert.deepEqual(said, [`connected ${DPID}`]);
    const conn = server.connection(DPID)!;
    assert.equal(conn.role, 'slave', 'a standby until its role is confirmed');
    conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [], data: Buffer.alloc(60) });
    assert.equal(conn.droppedAsStandby, 1);
    assert.deepEqual(events, []);

    grants.next({ dpid: DPID, role: 'master', generation: 41n });
    await until(() => events.length === 1, 'up', 5000, 5);
    assert.deepEqual(events, [`up ${DPID}`]);
    assert.deepEqual(sent(sw, MessageType.ROLE_REQUEST).map((m) => m.type === MessageType.ROLE_REQUEST && [m.role, m.generationId]), [[ControllerRole.MASTER, 41n]]);
    const async = sent(sw, MessageType.SET_ASYNC)[0];
    assert.ok(async?.type === MessageType.SET_ASYNC);
    assert.deepEqual([async.packetInMask, async.portStatusMask, async.flowRemovedMask], [[0b111, 0], [0b111, 0b111], [0b1111, 0]]);
    assert.equal(conn.role, 'master');
    assert.equal(state.role, ControllerRole.MASTER);
    assert.equal(sent(sw, MessageType.PACKET_OUT).length, 0, 'the standby\'s packet-out never left');

    // Taken away: down first, then the switch hears SLAVE.
    grants.next({ dpid: DPID, role: 'slave', generation: 42n });
    assert.deepEqual(events, [`up ${DPID}`, `down ${DPID}: mastership moved to another member`], 'down at once, before any reply');
    assert.equal(conn.role, 'slave');
    await until(() => state.role === ControllerRole.SLAVE, 'the switch has it as slave', 5000, 5);
    assert.equal(sent(sw, MessageType.SET_ASYNC).length, 1, 'SET_ASYNC once per connection');
    assert.equal(roles.roleOf(DPID)?.role, 'slave');
    sw.destroy();
  } finally {
    roles.stop();
    await server.close();
  }
});

test('roles: a stale generation and an IS_SLAVE are reported to the election and stop the writes; a reconnect gets ROLE_REQUEST and SET_ASYNC again', async () => {
  const { server, roles, grants, said, events, state, connect } = await rig();
  try {
    let sw = await connect();
    grants.next({ dpid: DPID, role: 'master', generation: 10n });
    await until(() => events.length === 1, 'up', 5000, 5);
    // Another member became master with a newer generation; ours is now older than the switch's.
    state.generation = 20n;
    state.role = ControllerRole.SLAVE;
    sw.send({ type: MessageType.ERROR, xid: 0, errType: ErrorType.BAD_REQUEST, code: BadRequestCode.IS_SLAVE, data: Buffer.alloc(0) });
    await until(() => said.some((s) => s.startsWith('refused')), 'refused', 5000, 5);
    assert.match(said.at(-1)!, /IS_SLAVE/);
    assert.equal(events.at(-1), `down ${DPID}: the switch says this member is not its master (IS_SLAVE)`);
    assert.equal(server.connection(DPID)!.role, 'slave');
    grants.next({ dpid: DPID, role: 'master', generation: 15n });
    await until(() => said.filter((s) => s.startsWith('refused')).length === 2, 'stale refused', 5000, 5);
    assert.match(said.at(-1)!, /generation 15 is older than one the switch has seen/);
    assert.equal(events.filter((e) => e.startsWith('up')).length, 1, 'not master again');

    sw.destroy();
    await until(() => said.includes(`disconnected ${DPID}`), 'disconnected', 5000, 5);
    state.generation = undefined; // OVS forgets nothing of the generation, but a new switch process would
    grants.next({ dpid: DPID, role: 'master', generation: 30n });
    sw = await connect();
    await until(() => events.filter((e) => e.startsWith('up')).length === 2, 'master on the new connection', 5000, 5);
    assert.equal(sent(sw, MessageType.ROLE_REQUEST).length, 1);
    assert.equal(sent(sw, MessageType.SET_ASYNC).length, 1);
    sw.destroy();
  } finally {
    roles.stop();
    await server.close();
  }
});

test('roles: a quiet grant (the member\'s lease in doubt) stops the writes and tells the switch nothing; master again with the same generation, the switch hears MASTER once more and is reconciled', async () => {
  const { server, roles, grants, events, state, connect } = await rig();
  try {
    const sw = await connect();
    grants.next({ dpid: DPID, role: 'master', generation: 7n });
    await until(() => events.length === 1, 'up', 5000, 5);
    grants.next({ dpid: DPID, role: 'slave', generation: 7n, quiet: true });
    assert.equal(events.at(-1), `down ${DPID}: this member's mastership is in doubt (its lease)`);
    assert.equal(server.connection(DPID)!.role, 'slave', 'no writes');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sent(sw, MessageType.ROLE_REQUEST).length, 1, 'nothing said to the switch');
    assert.equal(state.role, ControllerRole.MASTER, 'the switch still has it as master');
    grants.next({ dpid: DPID, role: 'master', generation: 7n });
    await until(() => events.filter((e) => e.startsWith('up')).length === 2, 'up again', 5000, 5);
    assert.deepEqual(sent(sw, MessageType.ROLE_REQUEST).map((m) => m.type === MessageType.ROLE_REQUEST && [m.role, m.generationId]), [[ControllerRole.MASTER, 7n], [ControllerRole.MASTER, 7n]]);
    sw.destroy();
  } finally {
    roles.stop();
    await server.close();
  }
});

test('roles: a switch that does not do roles (BAD_REQUEST to ROLE_REQUEST) is refused, never written to, and the controller goes on', async () => {
  const { server, roles, grants, said, events, connect } = await rig();
  try {
    const sw = await connect();
    const script = sw.script!;
    sw.script = (m, x) => {
      if (m.type === MessageType.ROLE_REQUEST) {
        sw.send({ type: MessageType.ERROR, xid: m.xid, errType: ErrorType.BAD_REQUEST, code: BadRequestCode.BAD_TYPE, data: Buffer.alloc(0) });
        return true;
      }
      return script(m, x);
    };
    grants.next({ dpid: DPID, role: 'master', generation: 3n });
    await until(() => said.some((x) => x.startsWith('refused')), 'refused', 5000, 5);
    assert.match(said.at(-1)!, /role request refused \(BAD_REQUEST\/BAD_TYPE\)/);
    assert.deepEqual(events, []);
    assert.equal(server.connection(DPID)!.role, 'slave');
    // A switch that does roles but not this one (ROLE_REQUEST_FAILED/UNSUP), or any error of another type with code 0: refused, never called stale.
    for (const [errType, code, words] of [[ErrorType.ROLE_REQUEST_FAILED, RoleRequestFailedCode.UNSUP, 'ROLE_REQUEST_FAILED/UNSUP'], [ErrorType.BAD_REQUEST, BadRequestCode.BAD_VERSION, 'BAD_REQUEST/BAD_VERSION']] as const) {
      sw.script = (m, x) => {
        if (m.type !== MessageType.ROLE_REQUEST) return script(m, x);
        sw.send({ type: MessageType.ERROR, xid: m.xid, errType, code, data: Buffer.alloc(0) });
        return true;
      };
      const before = said.length;
      grants.next({ dpid: DPID, role: 'master', generation: 3n + BigInt(before) });
      await until(() => said.length > before, `refused (${words})`, 5000, 5);
      assert.equal(said.at(-1), `refused ${DPID}: role request refused (${words})`);
    }
    // The next grant is still applied: the chain of role requests survived the refusals.
    sw.script = script;
    grants.next({ dpid: DPID, role: 'master', generation: 100n });
    await until(() => events.length === 1, 'up', 5000, 5);
    sw.destroy();
  } finally {
    roles.stop();
    await server.close();
  }
});
