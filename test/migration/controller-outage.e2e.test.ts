import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ControllerProcess, freePort } from '../../lab/controller-process.js';
import { MininetDc } from '../../lab/mininet.js';
import { appctl, requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';

/**
 * A VM abroad does not need a live controller for its ARP (issue 24, item 5): h11 migrated
 * acc1 -> acc3, then svcswitch killed (kill -9) for OUTAGE_S seconds (300 by default, as the
 * issue asks). Every few rounds every host's ARP cache is flushed, then every host pings the VM
 * and the VM pings every host: each ARP they need (the HN nodes for the HoA at acc1, the VM
 * for its Home Network at acc3, everyone for a gateway) is answered by Open vSwitch alone.
 * Then svcswitch starts again and finds every table as it left it.
 */

const OUTAGE_S = Number(process.env.OUTAGE_S ?? 300);
const ROUNDS = Math.max(2, Math.round(OUTAGE_S / 60));
const VM = { name: 'h11', mac: '02:00:0a:00:01:0a', ip: '10.0.1.10' };
const OTHERS = [
  { name: 'h12', ip: '10.0.1.11' },
  { name: 'h21', ip: '10.0.2.10' },
  { name: 'h31', ip: '10.0.3.10' },
  { name: 'h42', ip: '10.0.4.11' },
  { name: 'client', ip: '198.51.100.10' },
];

before(requireOvs);

const stateDir = mkdtempSync(join(tmpdir(), 'svcswitch-outage-'));
const running: { ctl?: ControllerProcess; dc?: MininetDc } = {};
after(async () => {
  await running.dc?.stop();
  await running.ctl?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function settled(ctl: ControllerProcess, ms = 60_000): Promise<void> {
  await until(async () => {
    const h = await ctl.health();
    return h.switchesConnected === h.switchesDeclared && h.tablesInSync;
  }, 'every switch connected and in sync', ms, 100);
}

/** Packets that were never answered, over every pair of the VM and the others, both ways; with each host's ARP cache flushed first. */
async function lostAfterFlush(dc: MininetDc): Promise<string[]> {
  for (const h of [VM, ...OTHERS]) await dc.do({ op: 'cmd', host: h.name, cmd: 'ip neigh flush all' });
  const lost: string[] = [];
  for (const o of OTHERS) {
    for (const [src, dst] of [[o.name, VM.ip], [VM.name, o.ip]] as const) {
      const r = await dc.ping(src, dst, 3);
      if (r.received !== r.sent) lost.push(`${src} -> ${dst}: ${r.sent - r.received} of ${r.sent}`);
    }
  }
  return lost;
}

/** The MAC `host` has resolved `ip` to, from its neighbour table. */
async function resolved(dc: MininetDc, host: string, ip: string): Promise<string> {
  const out = String((await dc.do({ op: 'cmd', host, cmd: `ip neigh show ${ip}` })).output);
  return /lladdr ([0-9a-f:]+)/.exec(out)?.[1] ?? `(none: ${out.trim()})`;
}

test(`a migrated VM and its neighbours keep each other with the controller dead for ${OUTAGE_S} s and every ARP cache flushed: proxy ARP in the switch`, async () => {
  const ofPort = await freePort();
  const apiPort = await freePort();
  const args = ['--topology', 'topologies/dc-small.yaml', '--of-listen', `127.0.0.1:${ofPort}`, '--state-dir', stateDir, '--lldp-interval', '500'];
  let ctl = await ControllerProcess.start(args, apiPort);
  running.ctl = ctl;
  const dc = await MininetDc.start('topologies/dc-small.yaml', ofPort);
  running.dc = dc;
  await settled(ctl);

  const m = await ctl.call('POST', '/api/migrations', { hoa: VM.ip, switch: 'acc3', port: 5 });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  await dc.do({ op: 'move', host: VM.name, switch: 'acc3', port: 5 });
  assert.equal((await ctl.call('POST', `/api/migrations/${m.body.id as string}/complete`, {})).status, 200);
  await settled(ctl);
  assert.deepEqual(await lostAfterFlush(dc), [], 'with the controller up');

  // svcswitch trace over the live plans says who answers: acc1 for the HoA, back to h12's port; acc3 for h12, back to the VM.
  const traced = async (from: string, to: string) => (await ctl.call('GET', `/api/trace?from=${from}&to=${to}&proto=arp`)).body as { result: string; at: unknown; hops: Array<{ packet: { arp?: unknown } }> };
  const h12 = { mac: '02:00:0a:00:01:0b', ip: '10.0.1.11' };
  for (const [asker, to, at] of [[h12, VM.ip, { switch: 'acc1', port: 4 }], [VM, h12.ip, { switch: 'acc3', port: 5 }]] as const) {
    const r = await traced(asker.ip, to);
    assert.deepEqual([r.result, r.at, r.hops.at(-1)?.packet.arp], ['delivered', at, { op: 2, sha: GATEWAY_MAC, spa: to, tha: asker.mac, tpa: asker.ip }], `trace ${asker.ip} -> ${to}`);
  }
  // And Open vSwitch agrees: its own trace of h12's request for the HoA ends in a reply out of h12's port, nothing to the controller.
  const ovs = await appctl('ofproto/trace', 'acc1', `in_port=4,arp,dl_src=02:00:0a:00:01:0b,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_sha=02:00:0a:00:01:0b,arp_spa=10.0.1.11,arp_tpa=${VM.ip}`);
  const datapath = /Datapath actions: (.*)/.exec(ovs)?.[1] ?? ovs;
  assert.doesNotMatch(datapath, /userspace|controller/, 'no packet-in');
  process.stderr.write(`# ofproto/trace acc1, h12 asks for the HoA: ${datapath}\n`);
  assert.match(datapath, new RegExp(`set\\(arp\\(sip=${VM.ip},tip=${h12.ip},op=2,sha=${GATEWAY_MAC},tha=${h12.mac}\\)\\)`), `the request became h12's reply: ${datapath}`);

  const before = await ctl.call('GET', '/api/bindings');
  await ctl.kill9();
  const began = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    const lost = await lostAfterFlush(dc);
    assert.deepEqual(lost, [], `round ${round} of ${ROUNDS}, ${Math.round((Date.now() - began) / 1000)} s into the outage: every ping answered`);
    assert.equal(await resolved(dc, 'h12', VM.ip), GATEWAY_MAC, 'h12 learned the HoA at the gateway MAC (answered at acc1)');
    assert.equal(await resolved(dc, VM.name, '10.0.1.11'), GATEWAY_MAC, 'the VM learned h12 at the gateway MAC (answered at acc3)');
    const next = began + (round * OUTAGE_S * 1000) / ROUNDS;
    if (Date.now() < next) await new Promise((r) => setTimeout(r, next - Date.now()));
  }
  process.stderr.write(`# controller down ${Math.round((Date.now() - began) / 1000)} s, ${ROUNDS} rounds of ARP flushes and ${ROUNDS * OTHERS.length * 6} pings: 0 lost\n`);

  ctl = await ControllerProcess.start(args, apiPort);
  running.ctl = ctl;
  await settled(ctl);
  assert.deepEqual((await ctl.call('GET', '/api/bindings')).body, before.body, 'the binding as it was');
  assert.equal((await ctl.health()).driftRepaired, 0, 'every table as svcswitch left it');
  assert.deepEqual(await lostAfterFlush(dc), [], 'and after the restart');
});
