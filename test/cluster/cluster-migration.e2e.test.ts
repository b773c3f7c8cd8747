import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterRig, bridgeDpids, ovsMasters } from '../../lab/cluster.js';
import type { ControllerProcess } from '../../lab/controller-process.js';
import { MininetDc } from '../../lab/mininet.js';
import { requireOvs } from '../../lab/ovs.js';
import { lostPings } from '../../lab/ping-log.js';
import { until } from '../../lab/wait.js';

/**
 * Issue 24, items 1 and 3: migrations in a cluster of three members on etcd, dc-small in
 * Mininet with every switch connected to every member. The migration leader writes the state
 * in etcd; every member plans every VM from it and writes to the switches it masters; a
 * migration is confirmed when the leader's switches say so by barrier and the other switches'
 * masters say they hold the etcd revision of the write. Requests go to followers, which forward
 * them to the leader. Then the leader is killed with a migration prepared: the new leader takes
 * it up from etcd and rolls it back at its deadline, while pings to the VM lose nothing.
 */

before(requireOvs);

const running: { rig?: ClusterRig; dc?: MininetDc } = {};
after(async () => {
  await running.dc?.stop();
  await running.rig?.stop();
});

interface View {
  member: string;
  members: string[];
  masters: Array<{ dpid: string; member: string }>;
  migrationLeader?: { member: string; term: string };
}

/** 10 ms pings from `from` to `to` for `seconds`, in the background; `lost()` reads the summary once it ended. */
async function pinging(dc: MininetDc, from: string, to: string, seconds: number) {
  const file = `/tmp/svcswitch-cluster-migration-${from}-${process.pid}.txt`;
  await dc.do({ op: 'cmd', host: from, cmd: `ping -D -n -i 0.01 -w ${seconds} ${to} > ${file} 2>&1 &` });
  return {
    async result(): Promise<{ sent: number; lost: number }> {
      let out = '';
      await until(async () => {
        out = String((await dc.do({ op: 'cmd', host: from, cmd: `cat ${file}` })).output);
        return /packets transmitted/.test(out);
      }, `the pings from ${from} ended`, (seconds + 20) * 1000, 500);
      const sent = Number(/(\d+) packets transmitted/.exec(out)![1]);
      return { sent, lost: lostPings(out, sent) };
    },
  };
}

test('a cluster migrates a VM: requests to any member, the leader writes etcd, each member writes its switches; the leader killed mid-migration, the new leader rolls it back; pings lose nothing', async () => {
  const rig = await ClusterRig.start('topologies/dc-small.yaml', 3);
  running.rig = rig;
  const dc = await MininetDc.start('topologies/dc-small.yaml', rig.ofPorts);
  running.dc = dc;
  const dpids = await bridgeDpids();
  const member = (i: number): ControllerProcess => rig.members[i]!;
  const view = async (i: number): Promise<View> => (await member(i).call('GET', '/api/cluster')).body as unknown as View;

  await until(async () => {
    const m = await ovsMasters();
    return [...m.values()].every((ms) => ms.length === 1) && (await view(0)).migrationLeader !== undefined;
  }, 'one master per switch and a migration leader', 30_000, 200);
  const leaderId = (await view(0)).migrationLeader!.member;
  const leader = Number(leaderId.slice(1));
  const followers = [0, 1, 2].filter((i) => i !== leader);
  const masterOf = async (sw: string): Promise<string> => (await view(leader)).masters.find((m) => m.dpid === dpids.get(sw))?.member ?? '(none)';
  // The VM goes to an access switch a follower masters, if there is one: that member must confirm the leader's writes and tell it of the VM's arrival.
  const access = ['acc1', 'acc2', 'acc3', 'acc4'];
  const owners = await Promise.all(access.map(masterOf));
  const target = access[Math.max(0, owners.findIndex((o) => o !== leaderId))]!;
  const home = access.find((sw) => sw !== target)!;
  const next = access.find((sw) => sw !== target && sw !== home)!;
  const n = home.slice(3);
  const VM = { name: `h${n}1`, ip: `10.0.${n}.10`, neighbour: `h${n}2` };
  process.stderr.write(`# migration leader ${leaderId}; ${VM.name} moves ${home} (mastered by ${await masterOf(home)}) -> ${target} (${await masterOf(target)}), then -> ${next} (${await masterOf(next)})\n`);
  await until(async () => (await Promise.all([0, 1, 2].map(async (i) => (await member(i).health()).tablesInSync))).every(Boolean), 'every member\'s switches in sync', 30_000, 200);

  // Through a follower: forwarded to the leader, who answers once every switch involved holds the tables; cancelled and read through the other.
  const tried = await member(followers[1]!).call('POST', '/api/migrations', { hoa: VM.ip, switch: target, port: 5 });
  assert.deepEqual([tried.status, tried.answeredBy], [201, leaderId], JSON.stringify(tried.body));
  const cancelled = await member(followers[0]!).call('DELETE', `/api/migrations/${tried.body.id as string}`);
  assert.deepEqual([cancelled.status, cancelled.body.status, cancelled.answeredBy], [200, 'cancelled', leaderId], JSON.stringify(cancelled.body));
  const read = await member(followers[1]!).call('GET', `/api/migrations/${tried.body.id as string}`);
  assert.deepEqual([read.status, read.body.status], [200, 'cancelled']);
  await until(async () => (await Promise.all([0, 1, 2].map(async (i) => (await member(i).call('GET', `/api/bindings/${VM.ip}`)).status))).every((s) => s === 404), 'no binding left anywhere', 10_000, 100);

  // Prepared through a follower; the VM moves and speaks at its new port: the switch's master (a follower, if the placement gave one) tells the leader, who switches it over.
  const m = await member(followers[0]!).call('POST', '/api/migrations', { hoa: VM.ip, switch: target, port: 5 });
  assert.deepEqual([m.status, m.answeredBy, m.body.status], [201, leaderId, 'prepared'], JSON.stringify(m.body));
  await dc.do({ op: 'move', host: VM.name, switch: target, port: 5 });
  await dc.ping(VM.name, `10.0.${n}.1`, 3);
  await until(async () => (await Promise.all([0, 1, 2].map(async (i) => {
    const b = (await member(i).call('GET', `/api/bindings/${VM.ip}`)).body;
    return b.state === 'active' && b.switch === target;
  }))).every(Boolean), 'every member sees the binding active, switched over on the VM\'s own frame', 10_000, 100);
  const switched = (await member(followers[1]!).call('GET', `/api/migrations/${m.body.id as string}`)).body as { status: string; timeline: Array<{ step: string }> };
  assert.equal(switched.status, 'completed');
  assert.ok(switched.timeline.some((t) => t.step === 'VM seen at its new port'), JSON.stringify(switched.timeline));
  for (const from of [VM.neighbour, ...access.filter((sw) => sw !== home).map((sw) => `h${sw.slice(3)}2`), 'client']) {
    const p = await dc.ping(from, VM.ip, 3);
    assert.equal(p.received, 3, `${from} -> the VM at ${target}: ${p.output}`);
  }

  // A second move prepared (through a follower), then the leader killed before it completes.
  const pings = [await pinging(dc, VM.neighbour, VM.ip, 25), await pinging(dc, `h${next.slice(3)}1`, VM.ip, 25)];
  const second = await member(followers[0]!).call('POST', '/api/migrations', { hoa: VM.ip, switch: next, port: 5, timeoutMs: 8000 });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const killedAt = Date.now();
  await rig.kill(leader);
  const survivor = member(followers[0]!);
  await until(async () => {
    const l = (await survivor.call('GET', '/api/cluster')).body as unknown as View;
    return l.migrationLeader !== undefined && l.migrationLeader.member !== leaderId;
  }, 'a new migration leader', 10_000, 50);
  const newLeader = ((await survivor.call('GET', '/api/cluster')).body as unknown as View).migrationLeader!.member;
  process.stderr.write(`# new migration leader ${newLeader} after ${Date.now() - killedAt} ms\n`);
  // The new leader took the migration up from etcd and rolls it back at its deadline (the VM never moved).
  let ended: Record<string, unknown> = {};
  await until(async () => {
    const r = await survivor.call('GET', `/api/migrations/${second.body.id as string}`);
    ended = r.body;
    return r.status === 200 && ended.status === 'rolled-back';
  }, 'the migration rolled back by the new leader', 20_000, 200);
  process.stderr.write(`# migration ${String(second.body.id)} ${String(ended.status)} ${Date.now() - killedAt} ms after the leader was killed\n`);
  assert.ok(Date.now() - killedAt < 15_000);
  for (const i of followers) {
    const b = (await member(i).call('GET', `/api/bindings/${VM.ip}`)).body;
    assert.deepEqual([b.state, b.switch, b.port], ['active', target, 5], `${rig.members[i] ? `m${i}` : ''}: the binding as before the second move`);
  }
  for (const p of pings) {
    const r = await p.result();
    process.stderr.write(`# 10 ms pings to the VM through the leader's kill and the rollback: ${r.lost} of ${r.sent} lost\n`);
    assert.equal(r.lost, 0, `pings to the VM through the leader's death and the rollback: ${r.lost} of ${r.sent} lost`);
  }
});
