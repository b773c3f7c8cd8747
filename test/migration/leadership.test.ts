import assert from 'node:assert/strict';
import { test } from 'node:test';
import { held, migrationRig, type Rig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';
import { Follower } from '../../src/migration/follower.js';
import { InMemoryBindingStore, type Binding, type InFlight } from '../../src/migration/binding-store.js';
import type { MigrationError } from '../../src/migration/migration-error.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { MessageType } from '../../src/openflow/index.js';
import { ARP_OP, arpFrame } from '../../src/packet/arp.js';

/**
 * A cluster member's two roles in the migration (docs/cluster.md), against scripted switches:
 * a follower writes nothing and plans every VM from what the leader stored; a member that
 * becomes the leader takes up the migrations in flight from the store.
 */

const H11 = '10.0.1.10';
const binding = (port: number): Binding => ({
  hoa: H11, mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
  switch: 'acc3', port, mode: 'optimized', state: 'active', createdAt: 1, updatedAt: 1,
});
const flight = (deadline: number): InFlight => ({
  record: { id: '7', hoa: H11, mac: '02:00:0a:00:01:0a', mode: 'optimized', trigger: 'orchestrated', from: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' }, to: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' }, status: 'prepared', timeline: [{ step: 'requested', at: 1 }] },
  coaWasHeld: false,
  deadline,
});

test('follower: a binding the leader made active moves the VM there and tells its Home Network once; a move within the Foreign switch tells nobody; the binding gone, the VM is home again at its own MAC', () => {
  const store = new InMemoryBindingStore();
  const moves: string[] = [];
  const told: string[] = [];
  const planned: string[] = [];
  const f = new Follower({
    bindings: store,
    relocate: (_mac, hoa, at, roaming) => moves.push(`${hoa} ${at.switch}:${at.port}${roaming ? ' abroad' : ''}`),
    announceAtHome: (subnet, hoa, mac) => told.push(`${subnet} ${hoa} at ${mac}`),
    replan: (hoa) => planned.push(hoa),
  });
  store.put(binding(5));
  store.setGroupId(H11, 9);
  store.setInFlight(H11, flight(1));
  f.begin();
  assert.deepEqual([moves, told, planned], [[`${H11} acc3:5 abroad`], [], [H11]], 'at start: placed and planned, nobody told (the leader told them when it happened)');
  assert.deepEqual(f.stateOf(H11), { pending: flight(1).record, group: 9 });
  store.put(binding(6));
  store.setInFlight(H11, undefined);
  f.changed(H11);
  assert.deepEqual(moves.at(-1), `${H11} acc3:6 abroad`);
  assert.deepEqual(told, [], 'a move inside the Foreign switch is not news at home');
  assert.deepEqual(f.stateOf(H11), { pending: undefined, group: 9 }, 'what the follower plans from is read again after a change');
  store.delete(H11);
  f.changed(H11);
  assert.deepEqual([moves.at(-1), told], [`${H11} acc1:3`, [`net1 ${H11} at 02:00:0a:00:01:0a`]]);
  // A VM the follower never saw abroad, made active: the Home Network hears the gateway's MAC.
  store.put(binding(5));
  f.changed(H11);
  assert.deepEqual(told.at(-1), `net1 ${H11} at ${GATEWAY_MAC}`);
});

test('a follower refuses every migration request with 503 and plans from the store; leading, it takes up a migration in flight and completes it', async () => {
  let r: Rig | undefined;
  try {
    r = await migrationRig(60_000);
    const m = r.app.migration;
    const store = m.bindings as InMemoryBindingStore;
    m.follow();
    const refused = (f: () => unknown): number => {
      try {
        f();
      } catch (e) {
        return (e as MigrationError).status;
      }
      return 0;
    };
    await assert.rejects(m.migrate({ hoa: H11, switch: 'acc3', port: 5 }), (e: MigrationError) => e.status === 503 && /not the migration leader/.test(e.message));
    assert.equal(refused(() => m.complete('7')), 503);
    assert.equal(refused(() => m.cancel('7')), 503);
    assert.equal(refused(() => m.deleteBinding(H11)), 503);
    // What another member (the leader) wrote: a migration in flight, its binding prepared, its group.
    store.transaction(() => {
      store.put({ ...binding(5), state: 'prepared' });
      store.setGroupId(H11, 0x53564000);
      store.setInFlight(H11, flight(Date.now() + 60_000));
    });
    // A follower plans it as the leader does: the Foreign entries and the bicast (here by a store that tells it, as etcd's watch would).
    (m as unknown as { follower: Follower }).follower.changed(H11);
    await until(() => held(r!.tables.get('acc1')!).groups.length === 4, 'the Home switch bicasts (IPv4 and IPv6 pairs: the VM is dual-stack)');
    assert.ok(held(r.tables.get('acc3')!).flows.length > 0, 'the Foreign switch restores the CoA');
    assert.equal(m.migrations().length, 0, 'a follower keeps no migration of its own');
    // The VM's hypervisor announces it where the migration goes (QEMU's RARP), at a switch this follower masters: the leader is told, once.
    const told: string[] = [];
    (store as { reportArrival?: (hoa: string, id: string) => void }).reportArrival = (hoa, id) => told.push(`${hoa} ${id}`);
    const rarp = arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '0.0.0.0', targetMac: '02:00:0a:00:01:0a', targetIp: '0.0.0.0' }, 'ff:ff:ff:ff:ff:ff');
    for (let i = 0; i < 3; i++) r.switches.get('acc3')!.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: rarp.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 5 }, data: rarp });
    await until(() => told.length > 0, 'the leader told of the arrival');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(told, [`${H11} 7`], 'once for three RARPs');
    assert.equal(store.inFlight().length, 1, 'a follower switches nothing over itself');
    assert.ok(!r.lines.some((l) => l.level === 'warn' && String(l.message).includes('announcement')), 'not a refused announcement: a warn here would be wrong');
    m.lead();
    assert.equal(m.migration('7')?.status, 'prepared', 'taken up from the store');
    const done = await m.complete('7');
    assert.equal(done.status, 'completed');
    assert.equal(store.get(H11)?.state, 'active');
    assert.equal(store.inFlight().length, 0);
    // Following again, it forgets what it knew (another leader may change it); leading again, it starts from the store.
    m.follow();
    assert.deepEqual([m.migrations(), m.migration('7')], [[], undefined]);
    m.lead();
    assert.deepEqual(m.migrations().map((r) => [r.id, r.status]), [['7', 'completed']], 'the finished migration as the store kept it; nothing in flight to take up');
  } finally {
    await r?.close();
  }
});
