import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnnouncementJudge, type AnnouncementView, announcementDoubt } from '../../src/migration/announcements.js';
import type { ProbeAnswer } from '../../src/migration/liveness-probe.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** When an announcement is believed, judged alone: the outcomes with a fake probe (the whole controller: migration-service.test.ts). */

const MAC = '02:00:0a:00:01:0a';
const HOA = '10.0.1.10';
const AT = { switch: 'acc3', port: 5 };
const FROM = { switch: 'acc1', port: 3 };

function judge(over: Partial<AnnouncementView> = {}, answer: ProbeAnswer | Error = 'silent') {
  const said: string[] = [];
  const asked: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const view: AnnouncementView = {
    pendingTo: () => undefined,
    trigger: 'any',
    declared: (mac, hoa) => mac === MAC && hoa === HOA,
    boundMac: () => undefined,
    otherHostAt: () => undefined,
    gatewayOf: () => '10.0.1.1',
    stopped: () => false,
    leads: () => true,
    ...over,
  };
  const log = memoryLogger();
  const probe = {
    check: async (at: { switch: string; port: number }, mac: string, ip: string, gw: string): Promise<ProbeAnswer> => {
      asked.push(`${at.switch}:${at.port} ${mac} ${ip} via ${gw}`);
      await gate;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const j = new AnnouncementJudge(view, probe, {
    seen: (hoa) => said.push(`seen ${hoa}`),
    believe: (mac, hoa, at) => said.push(`believe ${mac} ${hoa} ${at.switch}:${at.port}`),
    refuse: (mac, at, reason) => said.push(`refuse ${mac} ${at.switch}:${at.port}: ${reason}`),
  }, log.logger);
  const settle = async (): Promise<void> => {
    release();
    await new Promise((r) => setImmediate(r));
  };
  return { j, said, asked, settle, log };
}

test('announcementDoubt: neither declared nor bound; bound with another MAC; another host at the port; none', () => {
  const v = { declared: () => false, boundMac: () => undefined, otherHostAt: () => undefined };
  assert.equal(announcementDoubt(MAC, HOA, AT, v), `${MAC} with ${HOA} is neither declared nor bound: announcements move only VMs the operator declared or migrated`);
  assert.match(announcementDoubt(MAC, HOA, AT, { ...v, boundMac: () => '02:00:00:00:00:99' })!, /neither declared nor bound/);
  assert.equal(announcementDoubt(MAC, HOA, AT, { ...v, boundMac: () => MAC }), undefined, 'bound with its own MAC');
  assert.equal(announcementDoubt(MAC, HOA, AT, { ...v, declared: () => true }), undefined, 'declared');
  assert.equal(announcementDoubt(MAC, HOA, AT, { ...v, declared: () => true, otherHostAt: () => 'h31' }), "acc3:5 is where h31 is: an announcement is believed only at a port of the VM's own");
});

test('a migration pending: seen at exactly its new port, refused anywhere else, and no probe', async () => {
  const at = judge({ pendingTo: () => AT });
  at.j.judge(MAC, HOA, AT, FROM);
  at.j.judge(MAC, HOA, { switch: 'acc3', port: 6 }, FROM);
  at.j.judge(MAC, HOA, { switch: 'acc4', port: 5 }, FROM);
  assert.deepEqual(at.said, [`seen ${HOA}`, `refuse ${MAC} acc3:6: a migration of ${HOA} to acc3:5 is pending`, `refuse ${MAC} acc4:5: a migration of ${HOA} to acc3:5 is pending`]);
  assert.deepEqual(at.asked, []);
});

test('orchestrated-only refuses before any doubt or probe; a doubt refuses before any probe', () => {
  const only = judge({ trigger: 'orchestrated-only', declared: () => false });
  only.j.judge(MAC, HOA, AT, FROM);
  assert.deepEqual(only.said, [`refuse ${MAC} acc3:5: announcements alone do not migrate VMs (--migrations orchestrated-only)`]);
  const doubted = judge({ otherHostAt: () => 'h31' });
  doubted.j.judge(MAC, HOA, AT, FROM);
  assert.deepEqual([doubted.said.length, doubted.asked], [1, []]);
  assert.match(doubted.said[0]!, /where h31 is/);
});

test('the probe at the old place decides: silent is believed; answered and unreachable are refused with where; repeats while it runs are one probe', async () => {
  const silent = judge();
  silent.j.judge(MAC, HOA, AT, FROM);
  silent.j.judge(MAC, HOA, AT, FROM);
  silent.j.judge(MAC, HOA, AT, FROM);
  assert.deepEqual(silent.asked, [`acc1:3 ${MAC} ${HOA} via 10.0.1.1`], 'one probe for QEMU\'s repeated RARPs');
  assert.deepEqual(silent.said, []);
  await silent.settle();
  assert.deepEqual(silent.said, [`believe ${MAC} ${HOA} acc3:5`]);
  silent.j.judge(MAC, HOA, AT, FROM);
  assert.equal(silent.asked.length, 2, 'once answered, the next announcement is probed again');

  const answered = judge({}, 'answered');
  answered.j.judge(MAC, HOA, AT, FROM);
  await answered.settle();
  assert.deepEqual(answered.said, [`refuse ${MAC} acc3:5: ${HOA} answered at acc1:3: it runs there`]);
  const unreachable = judge({}, 'unreachable');
  unreachable.j.judge(MAC, HOA, AT, FROM);
  await unreachable.settle();
  assert.deepEqual(unreachable.said, [`refuse ${MAC} acc3:5: ${HOA} cannot be asked at acc1:3 (its switch is not connected)`]);
  // In a cluster, a standby's probe proves nothing: silence where another member gets the replies is not believed.
  const elsewhere = judge({}, 'not-mastered');
  elsewhere.j.judge(MAC, HOA, AT, FROM);
  await elsewhere.settle();
  assert.deepEqual(elsewhere.said, [`refuse ${MAC} acc3:5: ${HOA} cannot be asked at acc1:3: another member of the cluster masters acc1`]);
});

test('in a cluster, a member that does not lead the migrations refuses an announcement before any probe, and one that stops leading while it probes refuses it after; a pending migration\'s arrival is still seen', async () => {
  const follower = judge({ leads: () => false });
  follower.j.judge(MAC, HOA, AT, FROM);
  assert.deepEqual(follower.asked, []);
  assert.deepEqual(follower.said, [`refuse ${MAC} acc3:5: this member does not lead the migrations: in a cluster an announcement alone moves a VM only at a switch the migration leader masters`]);
  const arriving = judge({ leads: () => false, pendingTo: () => AT });
  arriving.j.judge(MAC, HOA, AT, FROM);
  assert.deepEqual(arriving.said, [`seen ${HOA}`], 'the follower tells the leader (migration-service.ts)');
  let leads = true;
  const lost = judge({ leads: () => leads });
  lost.j.judge(MAC, HOA, AT, FROM);
  leads = false;
  await lost.settle();
  assert.deepEqual(lost.said, [`refuse ${MAC} acc3:5: this member stopped leading the migrations while it asked the VM's old place`]);
});

test('after the probe: nothing is decided once the controller stops or a migration was requested meanwhile; a probe that throws is logged, never unhandled, and the next is probed', async () => {
  let stopped = false;
  const s = judge({ stopped: () => stopped });
  s.j.judge(MAC, HOA, AT, FROM);
  stopped = true;
  await s.settle();
  assert.deepEqual(s.said, []);
  let pending: { switch: string; port: number } | undefined;
  const p = judge({ pendingTo: () => pending });
  p.j.judge(MAC, HOA, AT, FROM);
  pending = { switch: 'acc4', port: 5 };
  await p.settle();
  assert.deepEqual(p.said, []);
  const broken = judge({}, new Error('socket gone'));
  broken.j.judge(MAC, HOA, AT, FROM);
  await broken.settle();
  assert.deepEqual(broken.said, []);
  assert.deepEqual(broken.log.lines.filter((l) => l.level === 'error').map((l) => [l.message, l.error]), [['announcement not handled', 'socket gone']]);
  broken.j.judge(MAC, HOA, AT, FROM);
  assert.equal(broken.asked.length, 2);
});
