import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { requireOvs } from '../../lab/ovs.js';
import { QemuVm } from '../../lab/qemu-vm.js';
import { LibvirtHooks } from '../../lab/libvirt-hook.js';
import { OpenNebulaHooks } from '../../lab/opennebula-hook.js';
import { migrateVmWithTraffic, type VmStepResult } from '../../lab/vm-migrate.js';
import { topologyWithVm } from '../../lab/vm-topology.js';
import { until } from '../../lab/wait.js';

/**
 * A real VM (QEMU, Debian's cloud kernel) on dc-small in Mininet, migrated between subnets by
 * QEMU's own live migration while four correspondents ping it every 10 ms and the client
 * streams TCP to it; the paused source is stopped after the destination resumed, as a cloud
 * manager does, so the old port outlives QEMU's announcements.
 */

/** Dual-stack (issue 25): its IPv6 connections must survive too. */
const VM = { name: 'vm1', mac: '52:54:00:0a:01:14', ip: '10.0.1.20', ip6: '2001:db8:0:1::20', switch: 'acc1', port: 5 };
const HOA = VM.ip;
const HOA6 = VM.ip6;
/**
 * Pings lost per correspondent (10 ms apart). Orchestrated: at most 1 (the bicast reaches both
 * ports). Transparent: what reaches the paused source's port is lost from QEMU's pause until
 * the new entries are in place: QEMU's own downtime, then the controller's part (the probe,
 * the switchover and its barriers: 13-25 ms after the destination resumed, measured), and
 * the pings already on their way to the old port. That part has cost 2-5 pings in the runs
 * here, 6 once (in CI, with 5 ms of downtime); the test allows 5 beyond QEMU's downtime. The issue's goal of 5 in all holds when
 * QEMU's downtime stays under about 10 ms, which its default limit (300 ms) does not promise;
 * a limit of 20 ms corrupts the guest under TCG (lab/qemu-vm.ts). Each run prints both.
 */
const MAX_LOST = { orchestrated: () => 1, transparent: (qemuDowntimeMs: number) => Math.ceil(qemuDowntimeMs / 10) + 5 };

before(requireOvs);

/** Each step's bound: a step whose VM died (a guest that panics exits) fails at its bound rather than holding the run. */
const STEP = { timeout: 180_000 };

function report(name: string, r: VmStepResult): void {
  const pings = Object.entries(r.pings).map(([h, p]) => `${h} ${p.lost}/${p.sent} lost`).join(', ');
  const streams = Object.entries(r.streams).map(([h, s]) => `${h} ${s.received}/${s.sent} bytes${s.intact ? ' intact' : ''}${s.error ? ` (${s.error})` : ''}`).join(', ');
  const steps = r.migration.timeline.map((t) => `${t.step} ${t.at - r.qemu.resumedAt}`).join(', ');
  process.stdout.write(`# ${name}: QEMU ${r.qemu.totalMs} ms, downtime ${r.qemu.downtimeMs} ms; ${pings}; stream ${streams || '-'}\n#   ms from the resume: ${steps}\n`);
}

let vm: QemuVm | undefined;

function assertTraffic(r: VmStepResult, trigger: keyof typeof MAX_LOST): void {
  // What the guest said last (its heartbeat counts its packets): a hung guest and a lost path look alike from outside.
  const console = vm!.console().trim().split('\n');
  process.stdout.write(`#   guest: ${console.slice(-2).join(' | ')}\n`);
  // A guest that crashed says why in its oops: all of it, not the last line.
  const oops = console.findIndex((l) => /BUG:|Oops|general protection|panic/.test(l));
  if (oops >= 0) process.stdout.write(`#   guest crashed:\n${console.slice(Math.max(0, oops - 5)).map((l) => `#     ${l}`).join('\n')}\n`);
  for (const [host, stream] of Object.entries(r.streams)) {
    assert.equal(stream.error, undefined, `${host}'s TCP stream saw no reset or timeout`);
    assert.equal(stream.received, stream.sent, `every byte of ${host}'s stream reached the VM`);
    assert.ok(stream.intact, 'and intact (SHA-256 at both ends)');
  }
  for (const [host, p] of Object.entries(r.pings)) {
    assert.ok(p.sent > 100, `${host} pinged`);
    const most = MAX_LOST[trigger](r.qemu.downtimeMs);
    assert.ok(p.lost <= most, `${host}: ${p.lost} of ${p.sent} pings lost (at most ${most} for ${trigger}, QEMU's downtime ${r.qemu.downtimeMs} ms)`);
  }
}

describe('a real QEMU VM changes subnet', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric(topologyWithVm('topologies/dc-small.yaml', VM), { vms: [VM.name], migrations: 'any' });
  });
  after(async () => {
    await vm?.destroy();
    await stopFabric(f);
  });

  test('booted after the fabric is up, the declared VM is reachable from every correspondent, and still 15 s later', STEP, async () => {
    const { dc } = f!;
    vm = await QemuVm.boot({ name: VM.name, mac: VM.mac, address: `${VM.ip}/24`, gateway: '10.0.1.1', address6: `${VM.ip6}/64`, gateway6: '2001:db8:0:1::1' }, { switch: VM.switch, port: VM.port });
    const reach = async (from: string, dst = HOA): Promise<boolean> => Number((await dc.do({ op: 'ping', src: from, dst, count: 1, timeout: 1 })).received) === 1;
    await until(() => reach('client'), 'the client to reach the VM', 20_000, 200);
    await until(() => reach('client', HOA6), 'the client to reach the VM in IPv6', 20_000, 200);
    await new Promise((r) => setTimeout(r, 15_000));
    for (const from of ['client', 'h12', 'h21', 'h31']) {
      assert.ok(await reach(from), `${from} reaches the VM 15 s after its boot`);
      assert.ok(await reach(from, HOA6), `${from} reaches the VM at its IPv6 address too`);
    }
  });

  test('a tenant at a port of its own (h42 moved to acc4:7, where no host is known) sends RARPs and a gratuitous ARP with the running VM\'s MAC and address: the VM answers the probe at acc1:5, nothing moves', STEP, async () => {
    const { app, dc } = f!;
    const reasons: string[] = [];
    const sub = app.migration.events$.subscribe((e) => e.kind === 'announcement-refused' && reasons.push(e.reason));
    try {
      await dc.do({ op: 'move', host: 'h42', switch: 'acc4', port: 7 });
      for (let i = 0; i < 3; i++) await dc.do({ op: 'announce', host: 'h42', kind: 'rarp', mac: VM.mac });
      await dc.do({ op: 'announce', host: 'h42', kind: 'garp', mac: VM.mac, ip: VM.ip });
      await until(() => reasons.length >= 1, 'the announcements judged', 5000);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(reasons.every((r) => r === `${HOA} answered at acc1:5: it runs there`), reasons.join('; '));
      assert.equal(app.migration.bindings.get(HOA), undefined);
      assert.deepEqual([app.topology.hostByMac(VM.mac)?.switch, app.topology.hostByMac(VM.mac)?.port], ['acc1', 5]);
      assert.equal((await dc.ping('client', HOA, 2)).received, 2, 'the VM is still reached where it runs');
    } finally {
      sub.unsubscribe();
    }
  });

  test('orchestrated, optimized: acc1 -> acc3, the source stopped 1 s after the destination resumed: at most 1 ping lost to either address, the IPv4 and the IPv6 stream whole', STEP, async () => {
    const { app, dc } = f!;
    const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, hoa6: HOA6, to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'optimized', correspondents: ['client', 'h12', 'h31', 'h21'], streamsFrom: ['client'], streams6From: ['client'], stopSourceAfterMs: 1000 });
    report('orchestrated optimized acc1 -> acc3', r);
    assertTraffic(r, 'orchestrated');
    const b = app.migration.bindings.get(HOA);
    assert.deepEqual([b?.switch, b?.port], ['acc3', 5], 'bound at its new port');
  });

  test('libvirt\'s hook, chained (optimized kept): acc3 -> acc2 driven by `svcswitch hook libvirt` as libvirt calls it (migrate begin, then started once the destination QEMU waits with its tap plugged; the source\'s stopped/release end do nothing), source stopped 0.2 s after resume: at most 1 ping lost, the stream whole', STEP, async () => {
    const { app, dc } = f!;
    const hooks = new LibvirtHooks(f!.apiPort);
    const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, to: { switch: 'acc2', port: 5 }, trigger: 'hook', hooks, correspondents: ['client', 'h12', 'h22', 'h31'], streamsFrom: ['client'], stopSourceAfterMs: 200 });
    report('libvirt hook acc3 -> acc2', r);
    assertTraffic(r, 'orchestrated');
    assert.equal(r.migration.trigger, 'orchestrated', 'prepared by the hook, before the VM ran there');
    assert.equal(r.migration.timeline[2]?.step, 'VM seen at its new port');
  });

  test('OpenNebula\'s state hook, chained (optimized kept): acc2 -> acc3 driven by `svcswitch hook opennebula $TEMPLATE` as OpenNebula runs it on the destination (ACTIVE/MIGRATE: waits for the tap one-42-N, prepares; ACTIVE/RUNNING once QEMU finished), source stopped 1 s after resume: at most 1 ping lost, the stream whole', STEP, async () => {
    const { app, dc } = f!;
    const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, to: { switch: 'acc3', port: 5 }, trigger: 'opennebula', oneHooks: new OpenNebulaHooks(f!.apiPort), correspondents: ['client', 'h12', 'h22', 'h31'], streamsFrom: ['client'], stopSourceAfterMs: 1000 });
    report('OpenNebula hook acc2 -> acc3', r);
    assertTraffic(r, 'orchestrated');
    assert.equal(r.migration.trigger, 'orchestrated', 'prepared by the hook, before the VM ran there');
    assert.equal(app.migration.bindings.get(HOA)?.mode, 'optimized');
  });

  test('transparent (QEMU\'s announcements only), chained: acc3 -> acc4 while the paused source keeps its port for 1 s: at most 5 pings lost to either address beyond QEMU\'s downtime, the IPv4 and the IPv6 stream whole', STEP, async () => {
    const { app, dc } = f!;
    const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, hoa6: HOA6, to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h31'], streamsFrom: ['client'], streams6From: ['client'], stopSourceAfterMs: 1000 });
    report('transparent acc3 -> acc4', r);
    assertTraffic(r, 'transparent');
    assert.equal(r.migration.trigger, 'announced');
    assert.equal(app.migration.bindings.get(HOA)?.mode, 'optimized', 'a chained move keeps the binding\'s mode');
  });

  test('transparent home again: acc4 -> acc1 (its declared port), the source paused for good (never stopped): at most 5 pings lost beyond QEMU\'s downtime, the stream whole, no binding left', STEP, async () => {
    const { app, dc } = f!;
    const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, to: { switch: VM.switch, port: VM.port }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'], streamsFrom: ['client'], stopSourceAfterMs: null });
    report('transparent acc4 -> acc1 (home), source paused for good', r);
    assertTraffic(r, 'transparent');
    assert.equal(app.migration.bindings.get(HOA), undefined, 'home: no binding');
    await vm!.stopSource();
  });

  test('every mode: first-hop acc1 -> acc3 orchestrated with the source kept 10 s, on to acc4 transparently, then home (REST, first-hop kept); mobile-ip acc1 -> acc4, then home transparently: orchestrated at most 1 lost, transparent 5 beyond QEMU\'s downtime, every stream whole', STEP, async () => {
    const { app, dc } = f!;
    const steps = [
      { name: 'orchestrated first-hop acc1 -> acc3, source kept 10 s', to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'first-hop', correspondents: ['client', 'h12', 'h31', 'h21'], stopSourceAfterMs: 10_000 },
      { name: 'transparent first-hop, chained acc3 -> acc4 (its own packets with the CoA as source on the way), source stopped 1 s after', to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h31', 'h41'], stopSourceAfterMs: 1000 },
      { name: 'orchestrated home acc4 -> acc1 (first-hop kept), source stopped 0.2 s after', to: { switch: VM.switch, port: VM.port }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h41', 'h21'], stopSourceAfterMs: 200 },
      { name: 'orchestrated mobile-ip acc1 -> acc4, source stopped 1 s after', to: { switch: 'acc4', port: 5 }, trigger: 'orchestrated', mode: 'mobile-ip', correspondents: ['client', 'h12', 'h41', 'h21'], stopSourceAfterMs: 1000 },
      { name: 'transparent home acc4 -> acc1 (mobile-ip), source stopped 1 s after', to: { switch: VM.switch, port: VM.port }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'], stopSourceAfterMs: 1000 },
    ] as const;
    for (const step of steps) {
      const { name, ...rest } = step;
      const r = await migrateVmWithTraffic(app, dc, vm!, { hoa: HOA, streamsFrom: ['client'], ...rest });
      report(name, r);
      assertTraffic(r, step.trigger);
      if ('mode' in step) assert.equal(r.migration.mode, step.mode);
    }
    assert.equal(app.migration.bindings.get(HOA), undefined, 'home: no binding');
  });
});
