import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { domainInterfaces } from '../../src/app/hooks/libvirt-domain.js';
import { type HookDeps, libvirtHook } from '../../src/app/hooks/libvirt-hook.js';

/** The hook's decisions, with the controller, the hypervisor's OVS and the state between calls as fakes; the real thing is driven in test/migration/qemu.e2e.test.ts. */

const FIXTURE = readFileSync('test/app/fixtures/libvirt-domain.xml', 'utf8');
const xml = (bridge: string, tap: string): string => FIXTURE.replace('__BRIDGE__', bridge).replace('__TAP__', tap);

test('a libvirt domain XML: its name and every interface with a MAC (lower case), bridge and tap', () => {
  assert.deepEqual(domainInterfaces(xml('acc3', 'vnet3')), {
    name: 'vm1',
    interfaces: [{ mac: '52:54:00:0a:01:14', bridge: 'acc3', tap: 'vnet3' }, { mac: '52:54:00:99:99:99', bridge: 'virbr0', tap: 'vnet9' }],
  });
  // Before libvirt starts the domain there is no tap yet.
  assert.deepEqual(domainInterfaces(FIXTURE.replace("<target dev='__TAP__'/>", '')).interfaces[0], { mac: '52:54:00:0a:01:14', bridge: '__BRIDGE__', tap: undefined });
  assert.throws(() => domainInterfaces('<network><name>x</name></network>'), /not a libvirt domain/);
  assert.throws(() => domainInterfaces('x'.repeat(1024 * 1024 + 1)), /more than 1048576/);
  assert.deepEqual(domainInterfaces("<domain><name>a</name><devices><interface><mac address='zz'/></interface></devices></domain>").interfaces, [], 'a MAC that is not one is skipped');
});

function fakes(hosts: Partial<Record<string, { ip: string; switch: string; port: number }>> = { '52:54:00:0a:01:14': { ip: '10.0.1.20', switch: 'acc1', port: 5 } }) {
  const calls: string[] = [] as string[];
  const state = new Map<string, { incoming: boolean; migrations: string[] }>();
  const statuses = new Map<string, string>();
  let next = 1;
  const deps: HookDeps = {
    api: {
      hostByMac: async (mac) => hosts[mac],
      switchByDpid: async (dpid) => ({ '0000000000030003': 'acc3' })[dpid],
      prepare: async (body) => {
        calls.push(`prepare ${body.hoa} ${body.switch}:${body.port} ${body.timeoutMs}`);
        const id = String(next++);
        statuses.set(id, 'prepared');
        return { id, status: 'prepared' };
      },
      status: async (id) => statuses.get(id),
      pending: async () => [],
      complete: async (id) => void calls.push(`complete ${id}`),
      cancel: async (id) => void calls.push(`cancel ${id}`),
    },
    ovs: {
      bridgeDpid: async (bridge) => ({ acc3: '0000000000030003', acc9: '00000000000000ff' })[bridge],
      ofport: async (tap) => ({ vnet3: 5 })[tap],
    },
    state: { read: (d) => state.get(d), write: (d, s) => void state.set(d, structuredClone(s)), remove: (d) => void state.delete(d) },
    log: (l) => calls.push(`log ${l}`),
    timeoutMs: 600_000,
  };
  return { deps, calls, state, statuses };
}

test('a live migration in: migrate begin remembers the domain; started prepares the migration of the VM the controller knows, to the tap\'s switch and port; other interfaces and the rest of the calls do nothing', async () => {
  const f = fakes();
  assert.equal(await libvirtHook('vm1', 'prepare', 'begin', xml('acc3', 'vnet3'), f.deps), 0);
  assert.equal(await libvirtHook('vm1', 'migrate', 'begin', xml('acc3', 'vnet3'), f.deps), 0);
  assert.equal(f.calls.join('; '), '');
  assert.equal(await libvirtHook('vm1', 'started', 'begin', xml('acc3', 'vnet3'), f.deps), 0);
  assert.deepEqual(f.calls.filter((c) => !c.startsWith('log')), ['prepare 10.0.1.20 acc3:5 600000']);
  assert.deepEqual(f.state.get('vm1'), { incoming: true, migrations: ['1'] });
  // The migration completed (the VM's RARP there): when the domain stops one day, nothing is cancelled.
  f.statuses.set('1', 'completed');
  assert.equal(await libvirtHook('vm1', 'stopped', 'end', xml('acc3', 'vnet3'), f.deps), 0);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('cancel')), []);
  assert.equal(f.state.has('vm1'), false);
});

test('a domain started without a migration in (a boot) prepares nothing; a domain that stops before it ran here has its migration cancelled', async () => {
  const f = fakes();
  assert.equal(await libvirtHook('vm1', 'started', 'begin', xml('acc3', 'vnet3'), f.deps), 0);
  assert.equal(f.calls.join('; '), '');
  await libvirtHook('vm1', 'migrate', 'begin', xml('acc3', 'vnet3'), f.deps);
  await libvirtHook('vm1', 'started', 'begin', xml('acc3', 'vnet3'), f.deps);
  assert.equal(await libvirtHook('vm1', 'release', 'end', xml('acc3', 'vnet3'), f.deps), 0);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('cancel')), ['cancel 1']);
  assert.equal(f.state.has('vm1'), false);
});

test('what cannot be prepared is said on stderr with the reason, and the exit code is 1: a bridge that is not the controller\'s, a tap without a port', async () => {
  for (const [bridge, tap, why] of [['acc9', 'vnet3', /bridge acc9 \(datapath 00000000000000ff\) is no switch of the controller's/], ['acc3', 'vnet7', /tap vnet7 has no OpenFlow port on acc3/], ['nobr', 'vnet3', /bridge nobr has no datapath id/]] as const) {
    const f = fakes();
    await libvirtHook('vm1', 'migrate', 'begin', xml(bridge, tap), f.deps);
    assert.equal(await libvirtHook('vm1', 'started', 'begin', xml(bridge, tap), f.deps), 1);
    assert.match(f.calls.find((c) => c.startsWith('log'))!, why);
    assert.deepEqual(f.calls.filter((c) => c.startsWith('prepare')), []);
  }
});

test('a VM already at the tap\'s port, or one the controller does not know, is not migrated', async () => {
  for (const hosts of [{ '52:54:00:0a:01:14': { ip: '10.0.1.20', switch: 'acc3', port: 5 } }, {}] as Array<Partial<Record<string, { ip: string; switch: string; port: number }>>>) {
    const f = fakes(hosts);
    await libvirtHook('vm1', 'migrate', 'begin', xml('acc3', 'vnet3'), f.deps);
    assert.equal(await libvirtHook('vm1', 'started', 'begin', xml('acc3', 'vnet3'), f.deps), 0);
    assert.equal(f.calls.join('; '), '');
  }
});
