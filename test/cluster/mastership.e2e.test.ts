import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pct } from '../../bench/lib/report.js';
import { ClusterRig, bridgeDpids, ovsMasters as masters } from '../../lab/cluster.js';
import { MininetDc } from '../../lab/mininet.js';
import { requireOvs, tableChanges, tableLines } from '../../lab/ovs.js';
import { lostPings, pingReplies } from '../../lab/ping-log.js';
import { until } from '../../lab/wait.js';

/**
 * Issue 24, acceptance 1, 2 and 3 (without a migrated VM yet): three svcswitch members on three etcd members, dc-small in
 * Mininet with every switch connected to every member. Mastership is balanced; a member killed
 * with kill -9 (KILLS times, 20 by default) has each of its switches mastered by a survivor
 * within 3 s (median at most 2.5 s), and within 6 s when the etcd leader is killed at the same
 * moment (ETCD_LEADER_KILLS times, 3 by default); Open vSwitch, polled at 10 Hz through every run, never
 * shows two masters of one switch; each switch's generation ids only rise; a member frozen
 * with SIGSTOP past its lease steps down on its own when resumed. Then the killed members
 * come back and the cluster is balanced again. 10 ms pings across the fabric lose nothing, and
 * a survivor that takes a switch over writes nothing to it (every member plans the same tables).
 */

const KILLS = Number(process.env.KILLS ?? 20);
/** Kills of a member together with the etcd leader (acceptance 1: at most 6 s). */
const ETCD_LEADER_KILLS = Number(process.env.ETCD_LEADER_KILLS ?? 3);
const MEMBERS = 3;

before(requireOvs);

const running: { rig?: ClusterRig; dc?: MininetDc } = {};
after(async () => {
  await running.dc?.stop();
  await running.rig?.stop();
});

test(`a cluster of ${MEMBERS} on etcd: balanced mastership, ${KILLS} kill -9 failovers, never two masters, generation ids rise, a frozen member steps down`, async () => {
  const rig = await ClusterRig.start('topologies/dc-small.yaml', MEMBERS);
  running.rig = rig;
  const { ofPorts } = rig;
  const dc = await MininetDc.start('topologies/dc-small.yaml', ofPorts);
  running.dc = dc;
  const memberOf = (port: number): number => rig.memberOf(port);
  const dpids = await bridgeDpids();
  const dpidOf = (sw: string): string => dpids.get(sw)!;
  const startMember = (i: number) => rig.startMember(i);

  // The watch: 10 Hz through everything that follows.
  const doubles: string[] = [];
  let polling = true;
  let latest = new Map<string, number[]>();
  const watch = (async () => {
    while (polling) {
      latest = await masters();
      for (const [sw, ms] of latest) if (ms.length > 1) doubles.push(`${new Date().toISOString()} ${sw}: ${ms.map(memberOf).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const balanced = async (why: string): Promise<number[]> => {
    let counts: number[] = [];
    await until(async () => {
      const now = await masters();
      counts = Array.from({ length: MEMBERS }, (_, i) => [...now.values()].filter((ms) => ms.length === 1 && ms[0] === ofPorts[i]).length);
      const switches = now.size;
      if (![...now.values()].every((ms) => ms.length === 1) || !counts.every((c) => c >= Math.floor(switches / MEMBERS) && c <= Math.ceil(switches / MEMBERS))) return false;
      // Settled: every member's view of etcd names the masters Open vSwitch shows (its Controller table lags a move by a few seconds,
      // and a kill chosen from a table that is about to change would wait for a takeover that never comes).
      const ovs = [...now].map(([sw, ms]) => `${dpidOf(sw)}=m${memberOf(ms[0]!)}`).sort().join();
      const views = await Promise.all(rig.members.map(async (m) => ((await m!.call('GET', '/api/cluster')).body as { masters: Array<{ dpid: string; member: string }> }).masters));
      return views.every((v) => v.map((x) => `${x.dpid}=${x.member}`).sort().join() === ovs);
    }, `${why}: one master per switch, ${MEMBERS} members balanced, as every member sees it`, 30_000, 100);
    return counts;
  };
  const initial = await balanced('at start');
  process.stderr.write(`# switches per member at start: ${initial.join(' / ')}\n`);
  // What a member says of the cluster agrees with the switches.
  const view = (await rig.members[1]!.call('GET', '/api/cluster')).body as { members: string[]; masters: Array<{ dpid: string; member: string }> };
  assert.deepEqual(view.members, ['m0', 'm1', 'm2']);
  const now = await masters();
  assert.deepEqual(view.masters.map((m) => `${m.dpid}=${m.member}`).sort(), [...now].map(([sw, ms]) => `${dpidOf(sw)}=m${memberOf(ms[0]!)}`).sort());

  // 10 ms pings across the fabric through every failover (acceptance 3, between declared hosts): every switch is on a path.
  const PAIRS = [['h11', '10.0.3.10'], ['h21', '10.0.4.11'], ['client', '10.0.1.11'], ['h32', '10.0.2.11']] as const;
  const pings = [];
  for (const [from, to] of PAIRS) {
    const file = `/tmp/svcswitch-cluster-ping-${from}-${process.pid}.txt`;
    const pid = /(\d+)\s*$/.exec(String((await dc.do({ op: 'cmd', host: from, cmd: `ping -D -n -i 0.01 -w 1200 ${to} > ${file} 2>&1 & echo $!` })).output))?.[1] ?? '';
    pings.push({ from, to, file, pid });
  }
  // What a survivor sends when it takes a switch over: nothing, if every member plans the same tables (tables equal the plan).
  const flowMods = async (): Promise<number[]> => Promise.all(rig.members.map(async (p) => (p ? (await p.health()).flowModsSent : 0)));
  const takeoverWrites: number[] = [];
  const changed: string[] = [];
  const tables = async (): Promise<Map<string, string[]>> => new Map(await Promise.all([...dpids.keys()].sort().map(async (b) => [b, await tableLines(b)] as [string, string[]])));

  const events: TestEvent[] = [];
  /**
   * kill -9 of member `victim` (with `etcdLeaderToo`, of the etcd leader at the same moment):
   * how long until a survivor's ROLE_REPLY says MASTER for each of its switches. Then the
   * victim (and the etcd member) start again and the cluster is balanced again.
   */
  const failover = async (label: string, victim: number, etcdLeaderToo: boolean): Promise<number> => {
    const theirs = [...(await masters())].filter(([, ms]) => ms[0] === ofPorts[victim]).map(([sw]) => sw);
    assert.ok(theirs.length > 0, `${label}: m${victim} masters some switches`);
    const sentBefore = await flowMods();
    const tablesBefore = await tables();
    const etcdLeader = etcdLeaderToo ? await rig.etcd.leader() : undefined;
    const t0 = Date.now();
    events.push({ at: t0, what: `kill -9 m${victim}${etcdLeader === undefined ? '' : ` and etcd${etcdLeader} (its leader)`}` });
    await Promise.all([rig.kill(victim), etcdLeader === undefined ? undefined : rig.etcd.kill(etcdLeader)]);
    // The switch's own word: a survivor's ROLE_REPLY saying MASTER (its log line). OVS's Controller table follows later (it refreshes the role column every few seconds).
    let confirmedAt = 0;
    await until(() => {
      const at = theirs.map((sw) => rig.confirmedSince(dpidOf(sw), t0));
      if (at.some((x) => x === undefined)) return false;
      confirmedAt = Math.max(...(at as number[]));
      return true;
    }, `${label}: m${victim}'s switches (${theirs.join(', ')}) mastered by a survivor`, 15_000, 20).catch(async (e: Error) => {
      // What the survivors know and said since the kill: who they think masters what, and why not them.
      const views = await Promise.all(rig.members.map(async (m, i) => (m && i !== victim ? `m${i}: ${JSON.stringify((await m.call('GET', '/api/cluster')).body)}` : '')));
      process.stderr.write(`# ${label}: not taken over\n${views.filter(Boolean).map((v) => `#   ${v.slice(0, 1500)}`).join('\n')}\n${rig.said(/master|claim|releas|lease|switch|channel/, t0).map((x) => `#   ${x}`).join('\n')}\n`);
      throw e;
    });
    await new Promise((r) => setTimeout(r, 500)); // the new masters' first reconcile: a read-back, then the difference
    const sentAfter = await flowMods();
    takeoverWrites.push(sentAfter.reduce((n, x, i) => n + (i === victim ? 0 : x - sentBefore[i]!), 0));
    // A takeover that wrote: what it changed, for the report.
    if (takeoverWrites.at(-1) !== 0) changed.push(...tableChanges(tablesBefore, await tables()).map((c) => `${label} (m${victim}) ${c}`));
    if (etcdLeader !== undefined) {
      rig.etcd.restart(etcdLeader);
      await until(async () => (await rig.etcd.health()).every(Boolean), `${label}: etcd${etcdLeader} back`, 30_000, 200);
    }
    await until(async () => {
      const now = await masters();
      return theirs.every((sw) => (now.get(sw) ?? []).length === 1 && now.get(sw)![0] !== ofPorts[victim]);
    }, `${label}: Open vSwitch shows a survivor as master of each`, 15_000, 100);
    events.push({ at: Date.now(), what: `m${victim} started again` });
    await startMember(victim);
    await balanced(`after ${label}`);
    events.push({ at: Date.now(), what: 'balanced' });
    return confirmedAt - t0;
  };

  const failovers: number[] = [];
  for (let k = 0; k < KILLS; k++) failovers.push(await failover(`kill ${k + 1}`, k % MEMBERS, false));
  const [median, max] = [pct(failovers, 50), pct(failovers, 100)];
  process.stderr.write(`# failover after kill -9 (ms), ${KILLS} runs: median ${median}, max ${max}; ${failovers.join(' ')}\n`);
  // Acceptance 1's second half: the etcd leader killed at the same moment (etcd elects a new leader meanwhile).
  const withEtcd: number[] = [];
  for (let k = 0; k < ETCD_LEADER_KILLS; k++) withEtcd.push(await failover(`kill ${k + 1} with the etcd leader`, k % MEMBERS, true));
  process.stderr.write(`# failover after kill -9 of a member and the etcd leader at once (ms), ${ETCD_LEADER_KILLS} runs: median ${pct(withEtcd, 50)}, max ${pct(withEtcd, 100)}; ${withEtcd.join(' ')}\n`);

  // Frozen past its lease: its switches move; resumed, it stands down by itself and comes back as a standby, then gets its share again.
  const frozen = rig.members[0]!;
  const before = [...(await masters())].filter(([, ms]) => ms[0] === ofPorts[0]).map(([sw]) => sw);
  events.push({ at: Date.now(), what: 'SIGSTOP m0' });
  frozen.signal('SIGSTOP');
  await until(async () => {
    const now = await masters();
    return before.every((sw) => (now.get(sw) ?? []).some((p) => p !== ofPorts[0]));
  }, 'the frozen member\'s switches mastered by others', 15_000, 50);
  events.push({ at: Date.now(), what: 'SIGCONT m0' });
  frozen.signal('SIGCONT');
  await until(async () => frozen.lines.some((l) => String(l.message).startsWith('the cluster lease expired')), 'the resumed member says it stood down', 10_000, 50);
  await balanced('after the freeze');

  polling = false;
  await watch;
  const lost: string[] = [];
  for (const p of pings) {
    await dc.do({ op: 'cmd', host: p.from, cmd: `kill -INT ${p.pid}` });
    await new Promise((r) => setTimeout(r, 300));
    const out = String((await dc.do({ op: 'cmd', host: p.from, cmd: `cat ${p.file}; rm -f ${p.file}` })).output);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, `${p.from} -> ${p.to}: ${out.slice(-300)}`);
    lost.push(`${p.from} -> ${p.to}: ${lostPings(out, Number(m[1]))} of ${m[1]} lost${lostWhen(out, events)}`);
  }
  process.stderr.write(`# 10 ms pings through every failover: ${lost.join('; ')}\n`);
  process.stderr.write(`# flow-mods the survivors sent when taking switches over, per kill: ${takeoverWrites.join(' ')}\n`);
  if (takeoverWrites.some((n) => n !== 0) || lost.some((l) => !l.includes(': 0 of'))) {
    // What the members said that could explain it: every warn, and every link or leadership change, in time order.
    process.stderr.write(`# what the takeovers that wrote changed:\n${changed.slice(0, 60).map((c) => `#   ${c}`).join('\n')}\n`);
    process.stderr.write(`# what the members said:\n${rig.said(/link|leader|drift/).map((x) => `#   ${x}`).join('\n')}\n# the test's events: ${events.map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${e.what}`).join('; ')}\n`);
  }
  assert.deepEqual(doubles, [], 'never two masters of one switch (ovs-vsctl list controller at 10 Hz)');
  assert.deepEqual(lost.filter((l) => !l.includes(': 0 of')), [], 'no ping lost through the failovers');
  assert.deepEqual(takeoverWrites.filter((n) => n !== 0), [], 'a new master finds the tables as it plans them: it writes nothing');
  assert.ok(max <= 3000, `every failover within 3 s: ${failovers.join(' ')}`);
  assert.ok(median <= 2500, `median failover at most 2.5 s: ${median}`);
  assert.ok(withEtcd.every((t) => t <= 6000), `with the etcd leader killed at once, every failover within 6 s: ${withEtcd.join(' ')}`);

  // Generation ids, per switch, in the order the members were granted them: a new master's is higher than every one before
  // (the same master may be confirmed again with its own, after its switch reconnects).
  const grants = rig.all.flatMap((p, process) => p.lines.filter((l) => l.message === 'master of the switch').map((l) => ({ at: String(l.timestamp), process, dpid: String(l.dpid), generation: BigInt(String(l.generation)) })));
  grants.sort((a, b) => a.at.localeCompare(b.at));
  const last = new Map<string, { process: number; generation: bigint }>();
  for (const g of grants) {
    const before = last.get(g.dpid);
    const ok = before === undefined || g.generation > before.generation || (g.process === before.process && g.generation === before.generation);
    assert.ok(ok, `${g.dpid}: generation ${g.generation} (member process ${g.process}) after ${before?.generation} (process ${before?.process})`);
    last.set(g.dpid, g);
  }
  assert.ok(grants.length >= KILLS, 'the members logged their masterships');
});

interface TestEvent {
  at: number;
  what: string;
}

/**
 * Where lost pings fell (ping -D: each reply's time): each missing sequence number with the
 * time of the reply before it and the last event of the test before that, so that a loss can
 * be told apart from the machine's noise.
 */
function lostWhen(out: string, events: readonly TestEvent[]): string {
  const r = pingReplies(out);
  const missing: string[] = [];
  for (let i = 1; i < r.length; i++) {
    if (r[i]!.seq - r[i - 1]!.seq <= 1) continue;
    const at = r[i - 1]!.at;
    const before = events.filter((e) => e.at <= at).at(-1);
    missing.push(`seq ${r[i - 1]!.seq + 1}-${r[i]!.seq - 1} after ${new Date(at).toISOString().slice(11, 23)}${before ? `, ${Math.round(at - before.at)} ms after ${before.what}` : ''}`);
  }
  return missing.length > 0 ? ` (${missing.slice(0, 5).join('; ')})` : '';
}
