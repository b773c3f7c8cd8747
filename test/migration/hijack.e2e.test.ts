import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ControllerProcess, freePort } from '../../lab/controller-process.js';
import { MininetDc } from '../../lab/mininet.js';
import { ofctl, requireOvs, vsctl } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/**
 * The hijack table on Open vSwitch in Mininet (dc-small), in the default
 * configuration (`--migrations orchestrated-only`): a tenant sends a RARP, a gratuitous ARP,
 * an ARP request and an IPv4 packet with the victim's MAC and address, in every state the
 * victim can be in, from its own port in another subnet and, where it applies, in the
 * victim's subnet or on its Foreign switch. Nothing moves: the victim stays where it is, no
 * binding or migration appears or changes, no CoA is taken, and the victim's traffic never
 * reaches the tenant. svcswitch runs as its own process (a restart is one of the states).
 */

const VICTIM = { name: 'h11', mac: '02:00:0a:00:01:0a', ip: '10.0.1.10' };
const KINDS = ['rarp', 'garp', 'arp', 'ipv4'] as const;

before(requireOvs);

const stateDir = mkdtempSync(join(tmpdir(), 'svcswitch-hijack-'));
const running: { ctl?: ControllerProcess; dc?: MininetDc } = {};
let args: string[] = [];
let apiPort = 0;
after(async () => {
  await running.dc?.stop();
  await running.ctl?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const ctl = (): ControllerProcess => running.ctl!;
const dc = (): MininetDc => running.dc!;

async function settled(ms = 30_000): Promise<void> {
  await until(async () => {
    const h = await ctl().health();
    return h.switchesConnected === h.switchesDeclared && h.tablesInSync;
  }, 'every switch connected and in sync', ms, 100);
}

/** What a hijack would change: where the victim is, the bindings, the migrations, the CoAs held. */
async function state(): Promise<string> {
  const host = ((await ctl().call('GET', `/api/hosts?mac=${VICTIM.mac}`)).body as unknown as Array<{ switch: string; port: number }>)[0];
  const bindings = (await ctl().call('GET', '/api/bindings')).body as unknown as Array<{ hoa: string; switch: string; port: number; coa: string; state: string }>;
  const migrations = (await ctl().call('GET', '/api/migrations')).body as unknown as Array<{ id: string; status: string }>;
  const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  const held = [...metrics.matchAll(/^svcswitch_coa_pool_held\{subnet="(\w+)"\} (\d+)$/gm)].map((m) => `${m[1]}=${m[2]}`).join(',');
  return JSON.stringify({ at: host && `${host.switch}:${host.port}`, bindings: bindings.map((b) => `${b.hoa}@${b.switch}:${b.port}/${b.coa}/${b.state}`), migrations: migrations.map((m) => `${m.id}:${m.status}`), held });
}

/** Every kind of claim (or those named), from `tenant`, with `mac` and `ip`. */
async function claim(tenant: string, mac = VICTIM.mac, ip = VICTIM.ip, kinds: readonly (typeof KINDS)[number][] = KINDS): Promise<void> {
  for (const kind of kinds) await dc().do({ op: 'announce', host: tenant, kind, mac, ip });
  await new Promise((r) => setTimeout(r, 300)); // packet-ins handled, a probe (if any) answered
}

/** Packets to the victim's address that reach `tenant` while `from` pings the victim; and how many pings were answered. */
async function stolen(tenant: string, from: string): Promise<{ atTenant: number; answered: number }> {
  const file = `/tmp/svcswitch-hijack-${tenant}-${process.pid}.txt`;
  await dc().do({ op: 'cmd', host: tenant, cmd: `timeout 4 tcpdump -l -n -i ${tenant}-eth0 'icmp and dst host ${VICTIM.ip}' > ${file} 2>/dev/null &` });
  await new Promise((r) => setTimeout(r, 1200));
  const { received } = await dc().ping(from, VICTIM.ip, 3);
  await new Promise((r) => setTimeout(r, 3200));
  const out = String((await dc().do({ op: 'cmd', host: tenant, cmd: `cat ${file}; rm -f ${file}` })).output);
  return { atTenant: out.split('\n').filter((l) => l.includes('ICMP')).length, answered: received };
}

async function untouched(before: string, why: string, tenants: readonly string[], victimUp = true): Promise<void> {
  assert.equal(await state(), before, `${why}: nothing moved`);
  for (const tenant of tenants) {
    const s = await stolen(tenant, 'client');
    assert.equal(s.atTenant, 0, `${why}: none of the victim's packets reached ${tenant}`);
    if (victimUp) assert.equal(s.answered, 3, `${why}: the victim still answers where it is`);
  }
}

test('the hijack table on OVS, default configuration: RARP, gratuitous ARP, ARP and IPv4 with a VM\'s MAC and address move nothing, whatever the VM\'s state; nor do made-up identities drain a CoA pool', async () => {
  const ofPort = await freePort();
  apiPort = await freePort();
  args = ['--topology', 'topologies/dc-small.yaml', '--of-listen', `127.0.0.1:${ofPort}`, '--state-dir', stateDir, '--lldp-interval', '500'];
  running.ctl = await ControllerProcess.start(args, apiPort);
  running.dc = await MininetDc.start('topologies/dc-small.yaml', ofPort);
  await settled(60_000);
  assert.deepEqual(((await dc().do({ op: 'pingall' })) as { failed: unknown[] }).failed, []);
  const base = await state();
  assert.match(base, /"at":"acc1:3"/);

  // Running at its port: from another subnet (h31) and from its own (h12).
  await claim('h31');
  await claim('h12');
  await untouched(base, 'running', ['h31', 'h12']);

  // Its port down (a reboot, the end of a live migration): claimed, then the port comes back.
  await ofctl('mod-port', 'acc1', '3', 'down');
  await claim('h31');
  await claim('h12');
  await ofctl('mod-port', 'acc1', '3', 'up');
  await untouched(base, 'port down', ['h31']);

  // Crashed: its port up, the VM silent (no address, no ARP).
  await dc().do({ op: 'cmd', host: 'h11', cmd: 'ip addr flush dev h11-eth0; ip link set h11-eth0 arp off' });
  await claim('h31');
  await claim('h12');
  await dc().do({ op: 'cmd', host: 'h11', cmd: 'ip link set h11-eth0 arp on; ip addr add 10.0.1.10/24 dev h11-eth0; ip route add default via 10.0.1.1' });
  await untouched(base, 'crashed', ['h31']);

  // Its switch's control channel down.
  const target = (await vsctl('get-controller', 'acc1')).trim();
  await vsctl('del-controller', 'acc1');
  await until(async () => (await ctl().health()).switchesConnected === 7, 'acc1 disconnected', 10_000, 50);
  await claim('h31');
  await vsctl('set-controller', 'acc1', target, '--', 'set', 'controller', 'acc1', 'max_backoff=1000');
  await settled();
  await untouched(base, 'channel down', ['h31']);

  // A controller restart (kill -9) whose acc1 comes back late: claimed while acc1 is away.
  await ctl().kill9();
  await vsctl('del-controller', 'acc1');
  running.ctl = await ControllerProcess.start(args, apiPort);
  await until(async () => (await ctl().health()).switchesConnected === 7, 'the other switches back', 30_000, 50);
  await claim('h31');
  await vsctl('set-controller', 'acc1', target, '--', 'set', 'controller', 'acc1', 'max_backoff=1000');
  await settled();
  await untouched(base, 'restart, its switch late', ['h31']);

  // After its own migration to acc3:5: a tenant on its Foreign switch (h32, acc3:4) and one elsewhere (h21).
  const m = await ctl().call('POST', '/api/migrations', { hoa: VICTIM.ip, switch: 'acc3', port: 5 });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  await dc().do({ op: 'move', host: 'h11', switch: 'acc3', port: 5 });
  assert.equal((await ctl().call('POST', `/api/migrations/${m.body.id as string}/complete`, {})).status, 200);
  await settled();
  const migrated = await state();
  assert.match(migrated, /"at":"acc3:5"/);
  await claim('h32');
  await claim('h21');
  await untouched(migrated, 'after its migration', ['h32', 'h21']);

  // During its own prepared migration (to acc4:5): a tenant elsewhere on acc4, then one plugged at the prepared port itself with another source.
  const p = await ctl().call('POST', '/api/migrations', { hoa: VICTIM.ip, switch: 'acc4', port: 5 });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const prepared = await state();
  await claim('h41');
  // At the port the cloud manager named, the VM's RARP (no address in it) is the switchover by design, as OVN's activation
  // strategy has it: only what the cloud manager plugs there can send it. Frames that carry another address are refused.
  await dc().do({ op: 'move', host: 'h42', switch: 'acc4', port: 5 });
  await claim('h42', VICTIM.mac, '10.0.4.99', ['garp', 'arp', 'ipv4']);
  assert.equal(await state(), prepared, 'prepared: still prepared, nothing moved');
  assert.equal((await ctl().call('DELETE', `/api/migrations/${p.body.id as string}`)).status, 200);

  // Made-up identities (55 MACs) announcing from another subnet: no binding, no CoA taken.
  const pool = await state();
  for (let i = 0; i < 55; i++) {
    const mac = `02:66:00:00:00:${i.toString(16).padStart(2, '0')}`;
    await dc().do({ op: 'announce', host: 'h21', kind: 'garp', mac, ip: `10.0.1.${100 + i}` });
    await dc().do({ op: 'announce', host: 'h21', kind: 'rarp', mac, ip: `10.0.1.${100 + i}` });
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await state(), pool, 'made-up identities: no binding, no CoA');
  const ready = await ctl().call('POST', '/api/migrations', { hoa: '10.0.1.11', switch: 'acc2', port: 5 });
  assert.equal(ready.status, 201, 'the operator\'s next migration into net2 is served');
});
