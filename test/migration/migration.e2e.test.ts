import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { flowDump, migrateWithTraffic, type StepResult } from '../../lab/migrate.js';
import { ofctl, requireOvs, sh } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/**
 * Cross-subnet live migration on real OVS in Mininet (dc-small): h11 (10.0.1.10, net1 on
 * acc1) moves between subnets while a TCP stream and 10 ms pings from every kind of
 * correspondent run, in every mode and by both triggers, chained, and home again.
 */

const VM = 'h11';
const HOA = '10.0.1.10';
const MAC = '02:00:0a:00:01:0a';
const MIGRATION_COOKIE = 'cookie=0x5356000300000000/0xffffffff00000000';
const AGG_AND_CORE = ['agg1', 'agg2', 'core1'];
const ALL = ['core1', 'agg1', 'agg2', 'acc1', 'acc2', 'acc3', 'acc4', 'edge1'];
/** Goals per correspondent, 10 ms pings (the measured figures are in the closing note and docs/migration.md). */
const MAX_LOST = { orchestrated: 2, transparent: 10 };

before(requireOvs);

function report(name: string, r: StepResult): void {
  const pings = Object.entries(r.pings).map(([h, p]) => `${h} ${p.lost}/${p.sent} lost`).join(', ');
  const streams = Object.entries(r.streams).map(([h, s]) => `${h} ${s.received} bytes, longest gap ${s.longestGapMs} ms${s.error ? ` (${s.error})` : ''}`).join(', ');
  process.stdout.write(`# ${name}: ${pings}; stream ${streams || '-'}\n`);
  // Where the losses fell, relative to the end of the link's move: gaps between replies long enough to hide a lost ping (pings jitter up to 20 ms here), and the migration's steps.
  const gaps = Object.entries(r.pings).flatMap(([h, p]) => p.replies.slice(1).map((t, i) => [p.replies[i]!, t - p.replies[i]!] as const).filter(([, gap]) => gap > 25).map(([at, gap]) => `${h} ${Math.round(gap)} ms from ${Math.round(at - r.movedAt)}`));
  const steps = r.migration.timeline.map((t) => `${t.step} ${t.at - r.movedAt}`);
  process.stdout.write(`#   ms from the move: ${steps.join(', ')}; reply gaps: ${gaps.join(', ') || 'none'}\n`);
}

function assertTraffic(r: StepResult, trigger: 'orchestrated' | 'transparent'): void {
  for (const [host, stream] of Object.entries(r.streams)) {
    assert.equal(stream.error, undefined, `${host}'s TCP stream saw no reset or timeout`);
    assert.equal(stream.received, stream.sent, `every byte of ${host}'s stream arrived`);
    assert.ok(stream.intact, `and intact (SHA-256 at both ends)`);
  }
  for (const [host, p] of Object.entries(r.pings)) {
    assert.ok(p.sent > 100, `${host} pinged`);
    assert.ok(p.lost <= MAX_LOST[trigger], `${host}: ${p.lost} of ${p.sent} pings lost (at most ${MAX_LOST[trigger]} for ${trigger})`);
  }
}

/** Switches whose tables name an address. */
async function naming(address: string): Promise<string[]> {
  const out: string[] = [];
  const named = new RegExp(`(?<![\\d.])${address.replace(/\./g, '\\.')}(?![\\d])`);
  for (const sw of ALL) if ((await flowDump(sw)).some((l) => named.test(l))) out.push(sw);
  return out;
}

/** The source and destination of each IPv4 packet seen on `intf` for `ms` (tcpdump in the root namespace: the switch's side of the veth). */
async function capture(intf: string, ms: number): Promise<Array<{ src: string; dst: string }>> {
  // timeout ends tcpdump with status 124: what it printed is the result.
  const out = await sh('sh', ['-c', `timeout ${ms / 1000} tcpdump -l -n -i ${intf} ip 2>/dev/null; true`]);
  // "IP a.b.c.d > e.f.g.h: ICMP ..." or "IP a.b.c.d.port > e.f.g.h.port: ..." (TCP, UDP).
  const address = (s: string): string => s.split('.').slice(0, 4).join('.');
  return [...out.matchAll(/IP ([\d.]+) > ([\d.]+): /g)].map((m) => ({ src: address(m[1]!), dst: address(m[2]!) }));
}

/** Every port of the aggregation and core switches (Mininet names port N of sw "sw-ethN"). */
const AGG_AND_CORE_PORTS = [...[1, 2, 3].map((n) => `core1-eth${n}`), ...[1, 2, 3, 4, 5].flatMap((n) => [`agg1-eth${n}`, `agg2-eth${n}`])];

describe('cross-subnet live migration on dc-small', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml', { migrations: 'any' });
  });
  after(() => stopFabric(f));

  test('spoofed announcements move nothing: a RARP and a gratuitous ARP with h11\'s MAC from h21, a claim of its address', async () => {
    const { app, dc } = f!;
    const acc2 = await flowDump('acc2');
    const refusedBefore = app.migration.refusedAnnouncements;
    await dc.do({ op: 'announce', host: 'h21', kind: 'rarp', mac: MAC });
    await dc.do({ op: 'announce', host: 'h21', kind: 'garp', mac: MAC, ip: HOA });
    await dc.do({ op: 'announce', host: 'h31', kind: 'garp', ip: HOA });
    await until(() => app.migration.refusedAnnouncements >= refusedBefore + 2, 'two refused announcements', 5000);
    await app.settled();
    const h11 = app.topology.hostByMac(MAC)!;
    assert.deepEqual([h11.switch, h11.port], ['acc1', 3]);
    assert.deepEqual(app.migration.bindings.all(), []);
    assert.deepEqual(await flowDump('acc2'), acc2, 'acc2 tables unchanged');
    assert.equal((await dc.ping('h21', HOA, 2)).received, 2, 'h11 still reached where it is');
  });

  test('a prepared migration cancelled leaves nothing behind', async () => {
    const { app } = f!;
    const m = await app.migration.migrate({ hoa: HOA, switch: 'acc3', port: 7 });
    assert.equal(m.status, 'prepared');
    assert.equal(m.to.coa, '10.0.3.200');
    assert.ok((await ofctl('dump-flows', 'acc3', MIGRATION_COOKIE)).includes('nw_dst=10.0.3.200'), 'the Foreign entry is in the switch once prepared');
    assert.ok((await ofctl('dump-groups', 'acc1')).includes('type=all'), 'and the bicast at the Home switch');
    app.migration.cancel(m.id);
    await app.settled();
    for (const sw of ALL) assert.equal((await ofctl('dump-flows', sw, MIGRATION_COOKIE)).split('\n').filter((l) => l.includes('cookie=')).length, 0, sw);
    assert.deepEqual(app.migration.bindings.all(), []);
  });

  test('orchestrated, optimized: acc1 -> acc3 with a TCP stream from the client; aggregation and core untouched, only the CoA inside the fabric', async () => {
    const { app, dc } = f!;
    const fabricBefore = await Promise.all(AGG_AND_CORE.map(flowDump));
    const r = await migrateWithTraffic(app, dc, { vm: VM, hoa: HOA, to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'optimized', correspondents: ['client', 'h12', 'h31', 'h21'], streamsFrom: ['client'] });
    report('orchestrated optimized acc1 -> acc3', r);
    assertTraffic(r, 'orchestrated');
    const coa = r.migration.to.coa!;
    assert.deepEqual(app.migration.bindings.get(HOA), { ...app.migration.bindings.get(HOA)!, state: 'active', switch: 'acc3', port: 5, coa, mode: 'optimized', subnet: 'net3' });
    assert.deepEqual(await Promise.all(AGG_AND_CORE.map(flowDump)), fabricBefore, 'aggregation and core tables did not change');
    assert.deepEqual(await naming(HOA), ['acc1', 'acc3', 'edge1'], 'only Home, Foreign and Edge name the HoA');
    assert.deepEqual(await naming(coa), ['acc1', 'acc3', 'edge1'], 'and the CoA');
    // Packets from the fabric to the Foreign switch carry the CoA, never the HoA.
    await dc.do({ op: 'cmd', host: 'client', cmd: `ping -n -i 0.01 -c 100 ${HOA} > /dev/null 2>&1 &` });
    await dc.do({ op: 'cmd', host: 'h21', cmd: `ping -n -i 0.01 -c 100 ${HOA} > /dev/null 2>&1 &` });
    const dests = (await Promise.all([capture('acc3-eth1', 1500), capture('acc3-eth2', 1500)])).flat().map((p) => p.dst);
    assert.ok(dests.includes(coa), `the CoA ${coa} is seen on acc3's uplinks`);
    assert.ok(!dests.includes(HOA), 'the HoA never is');
  });

  test('transparent (QEMU RARP), chained: acc3 -> acc4, a new CoA, the old one released', async () => {
    const { app, dc } = f!;
    const before = app.migration.bindings.get(HOA)!;
    const r = await migrateWithTraffic(app, dc, { vm: VM, hoa: HOA, to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'], streamsFrom: ['client'] });
    report('transparent optimized acc3 -> acc4', r);
    assertTraffic(r, 'transparent');
    const b = app.migration.bindings.get(HOA)!;
    assert.deepEqual([b.switch, b.port, b.subnet, b.coa, b.mode, b.state], ['acc4', 5, 'net4', '10.0.4.200', 'optimized', 'active']);
    assert.deepEqual(await naming(before.coa), [], `the old CoA ${before.coa} is named nowhere`);
    assert.equal(app.migration.coaFree('net3'), 51, 'and is back in its pool');
  });

  test('orchestrated, first-hop: acc4 -> acc2, no RARP: the VM\'s own traffic at its new port is the switchover; every access and edge switch rewrites, aggregation and core untouched; on every port of theirs the CoA both ways and never the HoA (slide 21, the VM\'s own packets too)', async () => {
    const { app, dc } = f!;
    const fabricBefore = await Promise.all(AGG_AND_CORE.map(flowDump));
    const reinjected = app.migration.reinjected;
    const r = await migrateWithTraffic(app, dc, { vm: VM, hoa: HOA, to: { switch: 'acc2', port: 5 }, trigger: 'orchestrated', mode: 'first-hop', correspondents: ['client', 'h12', 'h22', 'h31'], streamsFrom: ['client'], announce: false });
    report('orchestrated first-hop acc4 -> acc2 (no RARP)', r);
    assertTraffic(r, 'orchestrated');
    assert.ok(r.migration.timeline.some((t) => t.step === 'VM seen at its new port'), 'switched over on the VM\'s own frames');
    assert.ok(app.migration.reinjected > reinjected, 'and those frames were sent on');
    assert.deepEqual(await Promise.all(AGG_AND_CORE.map(flowDump)), fabricBefore);
    assert.deepEqual(await naming(r.migration.to.coa!), ['acc1', 'acc2', 'acc3', 'acc4', 'edge1']);
    // Slide 21 both ways: the VM pings a correspondent of each kind and two ping it; on every
    // aggregation and core port the CoA is seen and the HoA never, as source or destination;
    // at the correspondents' own ports the VM's packets carry its HoA again.
    const coa = r.migration.to.coa!;
    for (const to of ['198.51.100.10', '10.0.1.11', '10.0.3.10', '10.0.4.10']) await dc.do({ op: 'cmd', host: VM, cmd: `ping -n -i 0.01 -c 100 ${to} > /dev/null 2>&1 &` });
    for (const from of ['client', 'h12']) await dc.do({ op: 'cmd', host: from, cmd: `ping -n -i 0.01 -c 100 ${HOA} > /dev/null 2>&1 &` });
    const [fabric, atClient, atH12] = await Promise.all([Promise.all(AGG_AND_CORE_PORTS.map((p) => capture(p, 1500))).then((c) => c.flat()), capture('edge1-eth2', 1500), capture('acc1-eth4', 1500)]);
    assert.ok(fabric.some((p) => p.src === coa) && fabric.some((p) => p.dst === coa), `the CoA ${coa} is seen on aggregation and core ports, both ways (${fabric.length} packets)`);
    assert.deepEqual(fabric.filter((p) => p.src === HOA || p.dst === HOA), [], 'the HoA never is');
    for (const [port, seen] of [['edge1-eth2', atClient], ['acc1-eth4', atH12]] as const) {
      const fromVm = seen.filter((p) => p.src === HOA || p.src === coa).map((p) => p.src);
      assert.ok(fromVm.length > 0 && fromVm.every((src) => src === HOA), `at ${port} the VM's packets carry its HoA (${fromVm.length})`);
    }
  });

  test('transparent return home: acc2 -> acc1; no entry of the migration left anywhere, every CoA released', async () => {
    const { app, dc } = f!;
    const r = await migrateWithTraffic(app, dc, { vm: VM, hoa: HOA, to: { switch: 'acc1', port: 3 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h21', 'h31'], streamsFrom: ['client'] });
    report('transparent return home acc2 -> acc1', r);
    assertTraffic(r, 'transparent');
    await app.settled();
    assert.deepEqual(app.migration.bindings.all(), []);
    for (const sw of ALL) {
      assert.deepEqual((await ofctl('dump-flows', sw, MIGRATION_COOKIE)).split('\n').filter((l) => l.includes('cookie=')), [], `${sw}: no migration entry`);
      const groups = [...(await ofctl('dump-groups', sw)).matchAll(/group_id=(\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual(groups.filter((g) => g >= PIPELINE.migration.groups.min && g <= PIPELINE.migration.groups.max), [], `${sw}: no bicast group`);
    }
    for (const net of ['net2', 'net3', 'net4']) assert.equal(app.migration.coaFree(net), 51, `${net}: every CoA free`);
    const h11 = app.topology.hostByMac(MAC)!;
    assert.deepEqual([h11.switch, h11.port], ['acc1', 3]);
  });

  test('mobile-ip: orchestrated acc1 -> acc3, transparent on to acc4 (keeping mobile-ip: a chained move keeps its binding\'s mode), orchestrated (make-before-break) home', async () => {
    const { app, dc } = f!;
    const fabricBefore = await Promise.all(AGG_AND_CORE.map(flowDump));
    const steps = [
      { to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'mobile-ip', correspondents: ['client', 'h12', 'h31', 'h21'] },
      { to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'] },
      { to: { switch: 'acc1', port: 3 }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h41', 'h21'] },
    ] as const;
    for (const s of steps) {
      const { to, trigger, correspondents } = s;
      const r = await migrateWithTraffic(app, dc, { vm: VM, hoa: HOA, streamsFrom: ['client'], to, trigger, correspondents, ...('mode' in s ? { mode: s.mode } : {}) });
      report(`${s.trigger} -> ${s.to.switch} (second chain)`, r);
      assertTraffic(r, s.trigger);
      if (s.to.switch !== 'acc1') assert.deepEqual(await naming(HOA), ['acc1', s.to.switch], 'mobile-ip: only Home and Foreign name the HoA');
      if (s.to.switch === 'acc4') assert.equal(app.migration.bindings.get(HOA)?.mode, 'mobile-ip', 'the announced chained move kept the mode');
    }
    assert.deepEqual(await Promise.all(AGG_AND_CORE.map(flowDump)), fabricBefore);
    assert.deepEqual(app.migration.bindings.all(), []);
    assert.equal((await dc.ping('h12', HOA, 2)).received, 2);
  });
});
