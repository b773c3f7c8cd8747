import { mkdirSync, writeFileSync } from 'node:fs';
import { ClusterRig, bridgeDpids } from '../lab/cluster.js';
import { mastershipSvg, type ClusterMark } from '../lab/mastership-svg.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs } from '../lab/ovs.js';
import { lostPings } from '../lab/ping-log.js';
import { until } from '../lab/wait.js';

/**
 * make cluster-demo: three svcswitch members on three etcd members (loopback), dc-small in
 * Mininet with every switch connected to every member (docs/cluster.md). While 10 ms pings
 * cross the fabric: h11 migrates acc1 -> acc3, asked at a follower, and the master of acc3 is
 * killed before the VM speaks there (a survivor sees it arrive; the migration leader, which
 * may be a new one, switches it over); then, with pings to the migrated VM too, the master of
 * acc1 is killed with kill -9 and started again, the master of acc3 is frozen (SIGSTOP) past
 * its lease and resumed, and the etcd leader is killed. Each step says who masters what and
 * how long the switches went without a master; the whole run comes out as a picture
 * (out/cluster-mastership.svg).
 */

const FILE = 'topologies/dc-small.yaml';
const say = (s: string): void => void process.stdout.write(`\n== ${s}\n`);
const PAIRS: Array<readonly [string, string]> = [['h12', '10.0.3.10'], ['client', '10.0.1.11'], ['h21', '10.0.4.11']];
const VM = { name: 'h11', ip: '10.0.1.10' };

async function main(): Promise<void> {
  await requireOvs();
  const began = Date.now();
  const marks: ClusterMark[] = [];
  const rig = await ClusterRig.start(FILE, 3, (s) => say(s));
  let dc: MininetDc | undefined;
  try {
    say('starting Mininet (dc-small): every switch connects to the three members');
    dc = await MininetDc.start(FILE, rig.ofPorts);
    const dpids = await bridgeDpids();
    const names = new Map([...dpids].map(([name, dpid]) => [dpid, name]));
    // The cluster as a live member sees it (GET /api/cluster): Open vSwitch's own role column lags by seconds.
    const view = async (): Promise<{ members: string[]; masters: Array<{ dpid: string; member: string; generation: string }>; migrationLeader?: { member: string } }> =>
      (await rig.members.find((p) => p !== undefined)!.call('GET', '/api/cluster')).body as never;
    const switchesOf = async (member: number): Promise<string[]> => (await view()).masters.filter((m) => m.member === `m${member}`).map((m) => names.get(m.dpid)!);
    const masterOf = async (sw: string): Promise<number> => {
      let m = -1;
      await until(async () => {
        const found = (await view()).masters.find((x) => x.dpid === dpids.get(sw));
        m = found ? Number(found.member.slice(1)) : -1;
        return m >= 0;
      }, `a master of ${sw}`, 30_000, 100);
      return m;
    };
    const table = async (): Promise<void> => {
      const v = await view();
      const byDpid = new Map(v.masters.map((m) => [m.dpid, m]));
      process.stdout.write(`   members alive: ${v.members.join(', ')}\n`);
      for (const [sw, dpid] of [...dpids].sort()) process.stdout.write(`   ${sw.padEnd(6)} ${dpid}  master ${byDpid.get(dpid)?.member ?? '-'}  generation ${byDpid.get(dpid)?.generation ?? '-'}\n`);
    };
    for (const sw of dpids.keys()) await masterOf(sw);
    say('mastership, balanced (GET /api/cluster of any member)');
    await table();

    const pings: Array<{ from: string; to: string; file: string; pid: string }> = [];
    const pinging = async (from: string, to: string): Promise<void> => {
      const file = `/tmp/svcswitch-cluster-demo-${from}-${pings.length}-${process.pid}.txt`;
      const pid = /(\d+)\s*$/.exec(String((await dc!.do({ op: 'cmd', host: from, cmd: `ping -D -n -i 0.01 -w 300 ${to} > ${file} 2>&1 & echo $!` })).output))?.[1] ?? '';
      pings.push({ from, to, file, pid });
    };
    for (const [from, to] of PAIRS) await pinging(from, to);
    say(`10 ms pings: ${PAIRS.map(([f, t]) => `${f} -> ${t}`).join(', ')}`);

    const failover = async (victim: number, switches: string[], what: string): Promise<void> => {
      const t0 = Date.now();
      await until(() => switches.every((sw) => rig.confirmedSince(dpids.get(sw)!, t0) !== undefined), `a new master for ${switches.join(', ')}`, 20_000, 20);
      const at = Math.max(...switches.map((sw) => rig.confirmedSince(dpids.get(sw)!, t0)!));
      process.stdout.write(`   ${what}: m${victim}'s switches (${switches.join(', ')}) have a new master ${at - t0} ms later (the switch's ROLE_REPLY)\n`);
    };

    // A VM migrates; the master of its new switch dies before the VM speaks there.
    const leaderId = (await view()).migrationLeader?.member ?? '?';
    const asked = [0, 1, 2].find((i) => `m${i}` !== leaderId)!;
    say(`${VM.name} (${VM.ip}) migrates acc1 -> acc3:5, asked at m${asked}'s API (a follower: it forwards to the migration leader, ${leaderId})`);
    const t0 = Date.now();
    const m = await rig.members[asked]!.call('POST', '/api/migrations', { hoa: VM.ip, switch: 'acc3', port: 5 });
    if (m.status !== 201) throw new Error(`the migration was refused: ${m.status} ${JSON.stringify(m.body)}`);
    process.stdout.write(`   prepared and confirmed by every switch's master in ${Date.now() - t0} ms, answered by ${m.answeredBy}; CoA ${(m.body.to as { coa: string }).coa}\n`);
    marks.push({ at: Date.now(), label: `${VM.name} prepared` });
    await dc.do({ op: 'move', host: VM.name, switch: 'acc3', port: 5 });
    process.stdout.write(`   ${VM.name} moved to acc3:5 (it has not spoken there yet)\n`);
    const acc3Master = await masterOf('acc3');
    const acc3Switches = await switchesOf(acc3Master);
    say(`kill -9 of m${acc3Master}, the master of acc3${`m${acc3Master}` === leaderId ? ' and the migration leader' : ''}, before the VM speaks there`);
    marks.push({ at: Date.now(), label: `kill -9 m${acc3Master}` });
    const acc3Failed = failover(acc3Master, acc3Switches, 'kill -9');
    await rig.kill(acc3Master);
    await acc3Failed;
    const survivor = rig.members.find((p) => p !== undefined)!;
    await dc.ping(VM.name, '10.0.1.1', 2);
    let record: { status?: string; timeline?: Array<{ step: string }> } = {};
    await until(async () => {
      const r = await survivor.call('GET', `/api/migrations/${m.body.id as string}`);
      record = r.body;
      return r.status === 200 && record.status === 'completed';
    }, 'the migration completed by the VM\'s own frame', 20_000, 100);
    process.stdout.write(`   the VM spoke at acc3:5: the switch's new master saw it, the migration leader (${((await view()).migrationLeader?.member) ?? '?'}) switched it over: ${record.timeline!.map((t) => t.step).join(' -> ')}\n`);
    marks.push({ at: Date.now(), label: `${VM.name} switched over` });
    await rig.startMember(acc3Master);
    marks.push({ at: Date.now(), label: `m${acc3Master} back` });
    await until(async () => (await switchesOf(acc3Master)).length >= 2, `m${acc3Master} masters its share again`, 30_000, 200);
    await pinging('h12', VM.ip);
    await pinging('h42', VM.ip);
    say(`10 ms pings to the migrated VM too: h12 -> ${VM.ip}, h42 -> ${VM.ip}`);
    await table();

    const killed = await masterOf('acc1');
    const theirs = await switchesOf(killed);
    say(`kill -9 of m${killed}, the master of acc1 (and of ${theirs.join(', ')})`);
    marks.push({ at: Date.now(), label: `kill -9 m${killed}` });
    const failed = failover(killed, theirs, 'kill -9');
    await rig.kill(killed);
    await failed;
    say(`m${killed} starts again and gets its share back`);
    await rig.startMember(killed);
    marks.push({ at: Date.now(), label: `m${killed} back` });
    await until(async () => (await switchesOf(killed)).length >= 2, `m${killed} masters its share again`, 30_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
    await table();

    const frozen = await masterOf('acc3');
    const frozenSwitches = await switchesOf(frozen);
    say(`SIGSTOP of m${frozen}, the master of acc3, for 4 s (its lease is 2 s)`);
    marks.push({ at: Date.now(), label: `SIGSTOP m${frozen}` });
    const moved = failover(frozen, frozenSwitches, 'frozen');
    rig.members[frozen]!.signal('SIGSTOP');
    await moved;
    await new Promise((r) => setTimeout(r, Math.max(0, 4000 - 2500)));
    rig.members[frozen]!.signal('SIGCONT');
    marks.push({ at: Date.now(), label: `SIGCONT m${frozen}` });
    await until(() => rig.members[frozen]!.lines.some((l) => String(l.message).startsWith('the cluster lease expired')), 'the resumed member hears its lease expired', 10_000, 50);
    process.stdout.write(`   resumed, m${frozen} learns its lease expired, stands down everywhere and joins again\n`);
    await until(async () => (await switchesOf(frozen)).length >= 2, `m${frozen} masters its share again`, 30_000, 200);
    await new Promise((r) => setTimeout(r, 1000)); // the placement settles

    const leader = await rig.etcd.leader();
    say(`kill -9 of the etcd leader (etcd${leader}): no mastership changes`);
    const before = JSON.stringify((await view()).masters);
    marks.push({ at: Date.now(), label: `etcd leader killed` });
    await rig.etcd.kill(leader);
    await new Promise((r) => setTimeout(r, 4000));
    rig.etcd.restart(leader);
    const after = JSON.stringify((await view()).masters);
    process.stdout.write(`   masters and generation ids ${before === after ? 'unchanged' : 'CHANGED'}; claims or releases logged meanwhile: ${rig.members.flatMap((p) => p?.lines.filter((l) => Date.parse(String(l.timestamp)) > marks.at(-1)!.at && /^(claimed|released)/.test(String(l.message))) ?? []).length}\n`);

    say('pings through all of it');
    for (const p of pings) {
      await dc.do({ op: 'cmd', host: p.from, cmd: `kill -INT ${p.pid}` });
      await new Promise((r) => setTimeout(r, 300));
      const out = String((await dc.do({ op: 'cmd', host: p.from, cmd: `cat ${p.file}; rm -f ${p.file}` })).output);
      const m = /(\d+) packets transmitted/.exec(out);
      // Not counted as lost: the request in flight when ping was interrupted (lab/ping-log.ts).
      process.stdout.write(`   ${p.from} -> ${p.to}: ${m ? `${lostPings(out, Number(m[1]))} of ${m[1]} lost` : out.slice(-200)}\n`);
    }

    const end = Date.now();
    const rows = [...dpids].sort().map(([name, dpid]) => ({
      name,
      spans: rig.all.flatMap((p) => p.lines.filter((l) => l.message === 'master of the switch' && l.dpid === dpid).map((l) => ({ at: Date.parse(String(l.timestamp)), member: Number(String(p.lines.find((x) => x.member !== undefined)?.member ?? '').replace('m', '')) }))),
    }));
    mkdirSync('out', { recursive: true });
    writeFileSync('out/cluster-mastership.svg', mastershipSvg(rows, marks, began, end, 3));
    say('picture: out/cluster-mastership.svg');
  } finally {
    await dc?.stop();
    await rig.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`cluster-demo: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
