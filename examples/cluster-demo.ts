import { mkdirSync, writeFileSync } from 'node:fs';
import { ClusterRig, bridgeDpids } from '../lab/cluster.js';
import { mastershipSvg, type ClusterMark } from '../lab/mastership-svg.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs } from '../lab/ovs.js';
import { until } from '../lab/wait.js';

/**
 * make cluster-demo: three svcswitch members on three etcd members (loopback), dc-small in
 * Mininet with every switch connected to every member (docs/cluster.md). While 10 ms pings
 * cross the fabric: the master of acc1 is killed with kill -9 and started again, the master of
 * acc3 is frozen (SIGSTOP) past its lease and resumed, and the etcd leader is killed. Each
 * step says who masters what and how long the switches went without a master; the whole run
 * comes out as a picture (out/cluster-mastership.svg).
 */

const FILE = 'topologies/dc-small.yaml';
const say = (s: string): void => void process.stdout.write(`\n== ${s}\n`);
const PAIRS = [['h11', '10.0.3.10'], ['client', '10.0.1.11'], ['h21', '10.0.4.11']] as const;

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
    const view = async (): Promise<{ members: string[]; masters: Array<{ dpid: string; member: string; generation: string }> }> =>
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
    for (const [from, to] of PAIRS) {
      const file = `/tmp/svcswitch-cluster-demo-${from}-${process.pid}.txt`;
      const pid = /(\d+)\s*$/.exec(String((await dc.do({ op: 'cmd', host: from, cmd: `ping -n -i 0.01 -w 300 ${to} > ${file} 2>&1 & echo $!` })).output))?.[1] ?? '';
      pings.push({ from, to, file, pid });
    }
    say(`10 ms pings: ${PAIRS.map(([f, t]) => `${f} -> ${t}`).join(', ')}`);

    const failover = async (victim: number, switches: string[], what: string): Promise<void> => {
      const t0 = Date.now();
      await until(() => switches.every((sw) => rig.confirmedSince(dpids.get(sw)!, t0) !== undefined), `a new master for ${switches.join(', ')}`, 20_000, 20);
      const at = Math.max(...switches.map((sw) => rig.confirmedSince(dpids.get(sw)!, t0)!));
      process.stdout.write(`   ${what}: m${victim}'s switches (${switches.join(', ')}) have a new master ${at - t0} ms later (the switch's ROLE_REPLY)\n`);
    };

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
      const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
      process.stdout.write(`   ${p.from} -> ${p.to}: ${m ? `${Number(m[1]) - Number(m[2])} of ${m[1]} lost` : out.slice(-200)}\n`);
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
