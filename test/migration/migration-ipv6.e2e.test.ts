import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { migrateWithTraffic, type MigrationStep, type StepResult } from '../../lab/migrate.js';
import { requireOvs, sh } from '../../lab/ovs.js';
import { inIpv6 } from '../../lab/traffic.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';

/**
 * A dual-stack VM's cross-subnet live migration on real OVS in Mininet (dc-small, issue 25
 * step 4): h11 keeps 10.0.1.10 and 2001:db8:0:1::10 while every correspondent pings both
 * every 10 ms and a TCP stream runs over each family, checked by SHA-256: in every mode, by
 * the orchestrator, by QEMU's RARP and by the guest's unsolicited neighbour advertisement,
 * chained and home again. The Home and Foreign switches answer neighbour discovery for it;
 * another tenant's claim of its IPv6 address moves nothing. The same entries traced without
 * a switch: test/migration/migration-planner-ipv6.test.ts.
 */

const VM = 'h11';
const HOA = '10.0.1.10';
const HOA6 = '2001:db8:0:1::10';
const MAC = '02:00:0a:00:01:0a';
/** The goals of the IPv4 test (migration.e2e.test.ts), for both families. */
const MAX_LOST = { orchestrated: 2, transparent: 10 };

before(requireOvs);

function report(name: string, r: StepResult): void {
  const pings = Object.entries(r.pings).map(([h, p]) => `${h} ${p.lost}/${p.sent} lost`).join(', ');
  const streams = Object.entries(r.streams).map(([h, s]) => `${h} ${s.received} bytes, longest gap ${s.longestGapMs} ms${s.error ? ` (${s.error})` : ''}`).join(', ');
  process.stdout.write(`# ${name}: ${pings}; streams ${streams}\n`);
}

function assertTraffic(r: StepResult, trigger: 'orchestrated' | 'transparent', correspondents: readonly string[]): void {
  assert.deepEqual(Object.keys(r.streams).sort(), ['client', inIpv6('client')], 'a stream over each family');
  for (const [host, stream] of Object.entries(r.streams)) {
    assert.equal(stream.error, undefined, `${host}'s TCP stream saw no reset or timeout`);
    assert.equal(stream.received, stream.sent, `every byte of ${host}'s stream arrived`);
    assert.ok(stream.intact, `${host}: intact (SHA-256 at both ends)`);
  }
  assert.deepEqual(Object.keys(r.pings).sort(), [...correspondents, ...correspondents.map(inIpv6)].sort(), 'every correspondent pinged both addresses');
  for (const [host, p] of Object.entries(r.pings)) {
    assert.ok(p.sent > 100, `${host} pinged`);
    assert.ok(p.lost <= MAX_LOST[trigger], `${host}: ${p.lost} of ${p.sent} pings lost (at most ${MAX_LOST[trigger]} for ${trigger})`);
  }
}

/** The IPv6 source and destination of each packet seen on `intf` for `ms`. */
async function capture6(intf: string, ms: number): Promise<Array<{ src: string; dst: string }>> {
  const out = await sh('sh', ['-c', `timeout ${ms / 1000} tcpdump -l -n -i ${intf} ip6 2>/dev/null; true`]);
  return [...out.matchAll(/IP6 ([0-9a-f:]+?)(?:\.\d+)? > ([0-9a-f:]+?)(?:\.\d+)?: /g)].map((m) => ({ src: m[1]!, dst: m[2]! }));
}

describe('a dual-stack VM\'s cross-subnet live migration on dc-small', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml', { migrations: 'any' });
  });
  after(() => stopFabric(f));

  const move = async (name: string, step: Omit<MigrationStep, 'vm' | 'hoa' | 'hoa6' | 'streamsFrom' | 'streams6From'>): Promise<StepResult> => {
    const r = await migrateWithTraffic(f!.app, f!.dc, { vm: VM, hoa: HOA, hoa6: HOA6, streamsFrom: ['client'], streams6From: ['client'], ...step });
    report(name, r);
    assertTraffic(r, step.trigger, step.correspondents);
    return r;
  };

  test('orchestrated, optimized: acc1 -> acc3; only the IPv6 CoA on the Foreign switch\'s uplinks; the Home Network resolves the IPv6 HoA to the gateway at the Home switch, the VM its Home Network at the Foreign switch', async () => {
    const { app, dc } = f!;
    const r = await move('orchestrated optimized acc1 -> acc3', { to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'optimized', correspondents: ['client', 'h12', 'h31', 'h21'] });
    assert.equal(r.migration.to.coa, '10.0.3.200');
    assert.deepEqual([app.migration.bindings.get(HOA)?.switch, app.migration.bindings.get(HOA)?.state], ['acc3', 'active']);
    const coa6 = '2001:db8:0:3::200';
    for (const host of ['client', 'h21']) await dc.do({ op: 'cmd', host, cmd: `ping -n -i 0.01 -c 100 ${HOA6} > /dev/null 2>&1 &` });
    const seen = (await Promise.all([capture6('acc3-eth1', 1500), capture6('acc3-eth2', 1500)])).flat();
    assert.ok(seen.some((p) => p.dst === coa6), `the IPv6 CoA ${coa6} is seen on acc3's uplinks (${seen.length} packets)`);
    assert.deepEqual(seen.filter((p) => p.dst === HOA6), [], 'the IPv6 HoA never is');
    // Neighbour discovery answered by the switches: h12 (Home Network, at acc1) and the VM (abroad, at acc3) forget and ask again.
    await dc.do({ op: 'cmd', host: 'h12', cmd: 'ip -6 neigh flush all' });
    assert.equal((await dc.ping('h12', HOA6, 3)).received, 3, 'h12 reaches the IPv6 HoA after asking for it');
    assert.match(String((await dc.do({ op: 'cmd', host: 'h12', cmd: `ip -6 neigh show ${HOA6}` })).output), new RegExp(`lladdr ${GATEWAY_MAC}`), 'at the gateway MAC: the Home switch answered');
    await dc.do({ op: 'cmd', host: VM, cmd: 'ip -6 neigh flush all' });
    assert.equal((await dc.ping(VM, '2001:db8:0:1::11', 3)).received, 3, 'the VM reaches h12 after asking for it');
    assert.match(String((await dc.do({ op: 'cmd', host: VM, cmd: 'ip -6 neigh show 2001:db8:0:1::11' })).output), new RegExp(`lladdr ${GATEWAY_MAC}`), 'at the gateway MAC: the Foreign switch answered');
  });

  test('another tenant\'s unsolicited advertisement of the VM\'s IPv6 address, at the Home or the Foreign switch, moves nothing and takes nothing', async () => {
    const { app, dc } = f!;
    const binding = app.migration.bindings.get(HOA);
    for (const host of ['h12', 'h31', 'h21']) await dc.do({ op: 'announce', host, kind: 'na', ip: HOA6 });
    await dc.do({ op: 'announce', host: 'h31', kind: 'na', mac: MAC, ip: HOA6 });
    await app.settled();
    assert.deepEqual(app.migration.bindings.get(HOA), binding);
    for (const from of ['h12', 'h31', 'h21']) assert.equal((await dc.ping(from, HOA6, 2)).received, 2, `${from} still reaches the VM`);
  });

  test('orchestrated, first-hop: acc3 -> acc2 with the guest\'s unsolicited neighbour advertisement as the trigger (no RARP)', async () => {
    const r = await move('orchestrated first-hop acc3 -> acc2 (NA)', { to: { switch: 'acc2', port: 5 }, trigger: 'orchestrated', mode: 'first-hop', correspondents: ['client', 'h12', 'h22', 'h31'], announceWith: 'na' });
    assert.ok(r.migration.timeline.some((t) => t.step === 'VM seen at its new port'), 'switched over on the VM\'s frames at its new port');
  });

  test('transparent, chained: acc2 -> acc4 on QEMU\'s RARP, keeping first-hop; then home on the guest\'s unsolicited neighbour advertisement alone', async () => {
    const { app } = f!;
    await move('transparent first-hop acc2 -> acc4 (RARP)', { to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'] });
    assert.deepEqual([app.migration.bindings.get(HOA)?.switch, app.migration.bindings.get(HOA)?.mode], ['acc4', 'first-hop']);
    const r = await move('transparent return home acc4 -> acc1 (NA)', { to: { switch: 'acc1', port: 3 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h21', 'h41'], announceWith: 'na' });
    assert.equal(r.migration.trigger, 'announced', 'the advertisement alone moved it');
    await app.settled();
    assert.deepEqual(app.migration.bindings.all(), []);
  });

  test('mobile-ip: orchestrated acc1 -> acc4 and orchestrated (make-before-break) home', async () => {
    const { app } = f!;
    await move('orchestrated mobile-ip acc1 -> acc4', { to: { switch: 'acc4', port: 5 }, trigger: 'orchestrated', mode: 'mobile-ip', correspondents: ['client', 'h12', 'h41', 'h21'] });
    await move('orchestrated mobile-ip home acc4 -> acc1', { to: { switch: 'acc1', port: 3 }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h41', 'h21'] });
    await app.settled();
    assert.deepEqual(app.migration.bindings.all(), []);
  });
});
