import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterRig, ovsMasters } from '../../lab/cluster.js';
import type { ControllerProcess } from '../../lab/controller-process.js';
import { MininetDc } from '../../lab/mininet.js';
import { appctl, ofctl, requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/**
 * `make cluster-failover`, and part of `make test`. Issue 24, acceptance 5: the migration leader killed (kill -9) at each step of a migration,
 * ROUNDS times each (5 by default), three members on three etcd members, dc-small in Mininet:
 * - `asked`: the request sent to a follower, the leader killed 20 ms later (before or while it
 *   prepares; the request may be answered 503);
 * - `prepared`: answered 201, the VM not moved;
 * - `moved`: prepared, the VM moved, the leader killed before the VM speaks (it then does);
 * - `completing`: the cloud manager's complete sent to a follower, the leader killed 5 ms later.
 * Each migration must end completed (the binding where the VM is) or rolled back (the binding
 * as before) within 10 s of the kill, every member must show the same binding, the VM must
 * answer pings from its Home Network and another subnet, and the switches must hold what the
 * members plan: with an audit every second, no audit repairs anything once it ended.
 * When the VM is not reached, the test prints what explains it (traces, tables, Open vSwitch's
 * own trace, datapath flows, the members' log) and whether purging the datapath cache helps.
 * SOAK_DEBUG=1 runs the members at debug level; HOLD_ON_FAILURE_MS keeps Mininet up that long
 * after such a failure, to look at it by hand.
 */

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const STEPS = ['asked', 'prepared', 'moved', 'completing'] as const;
/** Each migration's timeout: rolled back this long after it was asked, unless completed. */
const TIMEOUT_MS = 6000;
const VM = { name: 'h11', ip: '10.0.1.10', home: { switch: 'acc1', port: 3 } };
const PLACES = [VM.home, { switch: 'acc3', port: 5 }, { switch: 'acc4', port: 5 }, { switch: 'acc2', port: 5 }];

before(requireOvs);

const running: { rig?: ClusterRig; dc?: MininetDc } = {};
after(async () => {
  await running.dc?.stop();
  await running.rig?.stop();
});

interface Place {
  switch: string;
  port: number;
}

test(`the migration leader killed at each step of a migration, ${ROUNDS} times each: every migration ends completed or rolled back within 10 s, the same everywhere, the VM reachable, the tables as planned`, async () => {
  const rig = await ClusterRig.start('topologies/dc-small.yaml', 3, () => {}, ['--audit-interval', '1000', ...(process.env.SOAK_DEBUG ? ['--log-level', 'debug'] : [])]);
  running.rig = rig;
  const dc = await MininetDc.start('topologies/dc-small.yaml', rig.ofPorts);
  running.dc = dc;
  const live = (): number[] => [0, 1, 2].filter((i) => rig.members[i] !== undefined);
  const member = (i: number): ControllerProcess => rig.members[i]!;
  const leaderOf = async (i: number): Promise<number | undefined> => {
    const l = ((await member(i).call('GET', '/api/cluster')).body as { migrationLeader?: { member: string } }).migrationLeader?.member;
    return l === undefined ? undefined : Number(l.slice(1));
  };
  const steady = async (why: string): Promise<number> => {
    let leader: number | undefined;
    await until(async () => {
      const masters = await ovsMasters();
      const leaders = await Promise.all(live().map(leaderOf));
      leader = leaders[0];
      return live().length === 3 && [...masters.values()].every((ms) => ms.length === 1) && leader !== undefined && leaders.every((l) => l === leader);
    }, `${why}: three members, one master per switch, one migration leader`, 30_000, 200);
    await until(async () => (await Promise.all(live().map(async (i) => (await member(i).health()).tablesInSync))).every(Boolean), `${why}: every member's switches in sync`, 30_000, 200);
    return leader!;
  };
  const bindingEverywhere = async (): Promise<string[]> =>
    Promise.all(live().map(async (i) => {
      const r = await member(i).call('GET', `/api/bindings/${VM.ip}`);
      return r.status === 404 ? 'home' : `${String(r.body.switch)}:${String(r.body.port)} ${String(r.body.state)}`;
    }));
  const place = (p: Place): string => (p.switch === VM.home.switch && p.port === VM.home.port ? 'home' : `${p.switch}:${p.port} active`);
  const repairs = async (): Promise<number> => (await Promise.all(live().map(async (i) => (await member(i).health()).driftRepaired))).reduce((a, b) => a + b, 0);

  let at: Place = VM.home;
  const outcomes: string[] = [];
  const endedAfter: number[] = [];
  let leader = await steady('at start');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const step of STEPS) {
      const to = PLACES.find((p) => p.switch !== at.switch)!;
      const followers = live().filter((i) => i !== leader);
      const asked = member(followers[0]!);
      const other = followers[1]!;
      let id: string | undefined;
      let killedAt = 0;
      const kill = async (): Promise<void> => {
        killedAt = Date.now();
        await rig.kill(leader);
      };
      const moved = async (): Promise<void> => {
        await dc.do({ op: 'move', host: VM.name, switch: to.switch, port: to.port });
      };
      const request = { hoa: VM.ip, switch: to.switch, port: to.port, timeoutMs: TIMEOUT_MS };
      if (step === 'asked') {
        const answer = asked.call('POST', '/api/migrations', request);
        await new Promise((r) => setTimeout(r, 20));
        await kill();
        const a = await answer;
        assert.ok(a.status === 201 || a.status === 503, `asked: ${a.status} ${JSON.stringify(a.body)}`);
      } else {
        const m = await asked.call('POST', '/api/migrations', request);
        assert.equal(m.status, 201, JSON.stringify(m.body));
        id = m.body.id as string;
        if (step === 'moved') await moved();
        if (step === 'completing') {
          await moved();
          const answer = member(other).call('POST', `/api/migrations/${id}/complete`, {});
          await new Promise((r) => setTimeout(r, 5));
          await kill();
          await answer;
        } else {
          await kill();
        }
        // The VM speaks at its new place, as a running VM does (its switch may have no master for a moment): a frame the switch's
        // master sees is what switches it over if the complete did not land.
        if (step === 'moved' || step === 'completing') await dc.do({ op: 'cmd', host: VM.name, cmd: 'ping -n -q -i 0.1 -w 9 10.0.1.1 > /dev/null 2>&1 &' });
      }
      // Ends completed (where the VM is) or rolled back (where it was), the same on every member, within 10 s of the kill.
      const vmMoved = step === 'moved' || step === 'completing';
      const expected = vmMoved ? place(to) : place(at);
      let seen: string[] = [];
      let flights: unknown = [];
      try {
        await until(async () => {
          const r = await asked.call('GET', '/api/migrations').catch(() => ({ status: 0, body: [] as unknown }));
          flights = r.body;
          const noneInFlight = r.status === 200 && (r.body as unknown as Array<{ status: string }>).every((f) => f.status !== 'preparing' && f.status !== 'prepared');
          seen = await bindingEverywhere();
          return noneInFlight && seen.every((b) => b === expected);
        }, 'the end', 12_000, 50);
      } catch {
        assert.fail(`round ${round}, ${step}: not ended with the binding ${expected} on every member: bindings ${seen.join(', ')}; migrations ${JSON.stringify(flights).slice(0, 600)}`);
      }
      const took = Date.now() - killedAt;
      endedAfter.push(took);
      assert.ok(took <= 10_000, `round ${round}, ${step}: ended ${took} ms after the kill`);
      outcomes.push(`${step}: ${vmMoved ? 'completed' : 'rolled back'} after ${took} ms`);
      if (vmMoved) at = to;
      // Reachable from its Home Network and from another subnet, once every member's switches hold what it plans.
      await until(async () => (await Promise.all(live().map(async (i) => (await member(i).health()).tablesInSync))).every(Boolean), `round ${round}, ${step}: every member's switches in sync`, 10_000, 50);
      for (const from of ['h12', 'h42']) {
        let p = { received: 0, output: '' };
        await until(async () => {
          p = await dc.ping(from, VM.ip, 3);
          return p.received >= 2;
        }, 'reachable', 5_000, 100).catch(async () => {
          // Each member's own trace of the path over the tables it plans: where they disagree, or where the switches do.
          const traces = await Promise.all(live().map(async (i) => `m${i}: ${JSON.stringify((await member(i).call('GET', `/api/trace?from=${from}&to=${VM.ip}`)).body).slice(0, 1500)}`));
          const back = await Promise.all(live().map(async (i) => `m${i}: ${JSON.stringify((await member(i).call('GET', `/api/trace?from=${VM.ip}&to=${from === 'h12' ? '10.0.1.11' : '10.0.4.11'}`)).body).slice(0, 1500)}`));
          const ovs = await Promise.all(['acc1', 'acc3', 'acc4', 'agg1', 'agg2'].map(async (br) => `${br}:\n${await ofctl('dump-flows', br)}\n${await ofctl('dump-groups', br)}`));
          const oftrace = (await appctl('ofproto/trace', 'acc1', `in_port=1,ip,dl_src=02:00:0a:00:04:0b,dl_dst=02:53:56:00:00:01,nw_src=10.0.4.11,nw_dst=${VM.ip},nw_ttl=62`)).split('\n').slice(-4).join('\n');
          // The answer's way back as Open vSwitch itself would take it, hop by hop (both aggregation switches), and what its datapath caches.
          const reply = `ip,dl_src=02:00:0a:00:01:0a,dl_dst=02:53:56:00:00:01,nw_src=${VM.ip},nw_dst=${from === 'h12' ? '10.0.1.11' : '10.0.4.11'},nw_ttl=63`;
          const backOvs = await Promise.all([[at.switch, at.port], ['agg1', 4], ['agg2', 4]].map(async ([br, port]) =>
            `${String(br)} in_port=${String(port)}:\n${(await appctl('ofproto/trace', String(br), `in_port=${String(port)},${reply}`)).split('\n').slice(-3).join('\n')}`));
          const groupStats = await Promise.all([at.switch, 'agg1', 'agg2'].map(async (br) => `${br}: ${await ofctl('dump-group-stats', br)}`));
          const cached = `${await appctl('dpif/show')}\n${await appctl('dpctl/dump-flows')}`;
          // Whether Open vSwitch's datapath cache alone keeps the packets from the VM: purged, the next packets are translated afresh from the tables.
          await appctl('revalidator/purge');
          const purged = await dc.ping(from, VM.ip, 3);
          if (process.env.HOLD_ON_FAILURE_MS) await new Promise((r) => setTimeout(r, Math.min(600_000, Number(process.env.HOLD_ON_FAILURE_MS))));
          const said = rig.said(/drift|arriv|switch|master|migrat|reconcil|leader/, killedAt - 2000);
          assert.fail(`round ${round}, ${step}: ${from} -> the VM at ${at.switch}:${at.port}: ${p.output}\nwhat the members said since the kill:\n${said.join('\n')}\ntraces there:\n${traces.join('\n')}\nand back:\n${back.join('\n')}\nOVS:\n${ovs.join('\n')}\n${oftrace}\nthe way back in Open vSwitch:\n${backOvs.join('\n')}\ngroup stats:\n${groupStats.join('\n')}\ndatapath flows:\n${cached}\nafter revalidator/purge: ${purged.received} of 3 answered`);
        });
      }
      // The killed member back; the tables as the members plan them: no audit repairs anything.
      await rig.startMember(leader);
      leader = await steady(`round ${round}, ${step}`);
      const before = await repairs();
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(await repairs(), before, `round ${round}, ${step}: an audit found a switch's tables not as planned`);
    }
  }
  const sorted = [...endedAfter].sort((a, b) => a - b);
  process.stderr.write(`# ${outcomes.length} migrations, the leader killed at each step: ${outcomes.join('; ')}\n`);
  process.stderr.write(`# ended after the kill (ms): median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)}\n`);
});
