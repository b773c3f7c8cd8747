import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { migrateWithTraffic, type StepResult } from '../../lab/migrate.js';
import { requireOvs } from '../../lab/ovs.js';
import { startTraffic } from '../../lab/traffic.js';
import { topologyWith } from '../../lab/vm-topology.js';

/**
 * Several VMs behind one access port: a hypervisor with a bridge of its own (OVS in standalone
 * mode) plugged into acc1:5, three VMs behind it. One of them migrates to another subnet,
 * orchestrated, then another one transparently (its port stays up: its neighbour keeps it up,
 * so only the probe can tell it left); the ones that stay lose nothing.
 */

const HV = { name: 'hv1', switch: 'acc1', port: 5 };
const VMS = [
  { name: 'va', mac: '02:00:0a:00:01:14', ip: '10.0.1.20', hypervisor: 'hv1' },
  { name: 'vb', mac: '02:00:0a:00:01:15', ip: '10.0.1.21', hypervisor: 'hv1' },
  { name: 'vc', mac: '02:00:0a:00:01:16', ip: '10.0.1.22', hypervisor: 'hv1' },
];

before(requireOvs);

function lostOf(r: StepResult): string {
  return Object.entries(r.pings).map(([h, p]) => `${h} ${p.lost}/${p.sent}`).join(', ');
}

describe('several VMs behind one access port (a hypervisor\'s bridge)', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric(topologyWith('topologies/dc-small.yaml', VMS, [HV]), { migrations: 'any' });
  });
  after(() => stopFabric(f));

  test('each VM behind the port is reached from other subnets, and they reach each other', async () => {
    const { dc } = f!;
    for (const vm of VMS) for (const from of ['client', 'h31']) assert.equal((await dc.ping(from, vm.ip, 2)).received, 2, `${from} -> ${vm.name}`);
    assert.equal((await dc.ping('va', VMS[1]!.ip, 2)).received, 2, 'va -> vb, inside the hypervisor');
  });

  test('va migrates to acc3 (orchestrated), then vb to acc4 (transparent: the shared port stays up); vc, which stays, loses nothing, nor do the movers beyond their goals', async () => {
    const { app, dc } = f!;
    const stays = await startTraffic(dc, VMS[2]!.ip, 'vc', ['client', 'h12', 'h21'], 9);
    const a = await migrateWithTraffic(app, dc, { vm: 'va', hoa: VMS[0]!.ip, to: { switch: 'acc3', port: 6 }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h31', 'h21'], streamsFrom: ['client'] });
    process.stdout.write(`# va orchestrated acc1:5 (hv1) -> acc3:6: ${lostOf(a)}\n`);
    const b = await migrateWithTraffic(app, dc, { vm: 'vb', hoa: VMS[1]!.ip, to: { switch: 'acc4', port: 6 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'] });
    process.stdout.write(`# vb transparent acc1:5 (hv1) -> acc4:6: ${lostOf(b)}\n`);
    const { pings } = await stays.results();
    process.stdout.write(`# vc, staying behind hv1: ${Object.entries(pings).map(([h, p]) => `${h} ${p.lost}/${p.sent}`).join(', ')}\n`);
    for (const [h, p] of Object.entries(pings)) assert.equal(p.lost, 0, `${h} -> vc: nothing lost while its neighbours left`);
    for (const [h, p] of Object.entries(a.pings)) assert.ok(p.lost <= 2, `${h} -> va: ${p.lost} lost (orchestrated: at most 2)`);
    for (const [h, p] of Object.entries(b.pings)) assert.ok(p.lost <= 10, `${h} -> vb: ${p.lost} lost (transparent: at most 10)`);
    assert.equal(a.streams.client?.intact, true);
    assert.ok(app.topology.portLive({ switch: 'acc1', port: 5 }), 'the shared port stayed up throughout');
    assert.deepEqual(app.migration.bindings.all().map((x) => [x.hoa, x.switch, x.port]).sort(), [['10.0.1.20', 'acc3', 6], ['10.0.1.21', 'acc4', 6]]);
  });
});
