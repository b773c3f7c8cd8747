import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type OneHookDeps, openNebulaHook } from '../../src/app/hooks/opennebula-hook.js';
import { oneVm } from '../../src/app/hooks/opennebula-vm.js';

/** The hook's decisions, with the controller and the hypervisor's OVS as fakes; the real command drives a real QEMU migration in test/migration/qemu.e2e.test.ts. */

const FIXTURE = readFileSync('test/app/fixtures/opennebula-vm.xml', 'utf8');
const xml = (lcm: number, host = 'kvm3', tap = 'one-42-0', bridge = 'br0'): string =>
  FIXTURE.replace('__LCM_STATE__', String(lcm)).replace('__SOURCE__', 'kvm1').replace('__HOST__', host).replace('__BRIDGE__', bridge).replace('__TAP__', tap);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const MIGRATE = 4;
const RUNNING = 3;

test("an OpenNebula VM template, base64 as $TEMPLATE passes it or XML: its id, states, each NIC's MAC (lower case), bridge and tap, and the hosts of its history", () => {
  const vm = oneVm(b64(xml(MIGRATE)));
  assert.deepEqual(vm, {
    id: 42, name: 'vm1', state: 3, lcmState: 4,
    nics: [{ mac: '52:54:00:0a:01:14', bridge: 'br0', tap: 'one-42-0' }, { mac: '02:00:c0:a8:7a:0b', bridge: 'br-mgmt', tap: 'one-42-1' }],
    hosts: ['kvm1', 'kvm3'],
  });
  assert.deepEqual(oneVm(`\n${xml(RUNNING)}`).lcmState, 3, 'the XML itself');
  // A NIC without TARGET (before it is deployed): OpenNebula's own tap name, one-<vm>-<nic>.
  assert.equal(oneVm(xml(MIGRATE).replace('<TARGET><![CDATA[one-42-0]]></TARGET>', '')).nics[0]?.tap, 'one-42-0');
  assert.throws(() => oneVm('not base64!'), /neither XML nor base64/);
  assert.throws(() => oneVm(b64('<HOST><ID>1</ID></HOST>')), /not an OpenNebula VM: no <VM> element/);
  assert.throws(() => oneVm(xml(MIGRATE).replace('<LCM_STATE>4</LCM_STATE>', '<LCM_STATE>x</LCM_STATE>')), /LCM_STATE is "x", not a whole number/);
  assert.throws(() => oneVm('A'.repeat(1_500_000)), /more than 1048576 once decoded/);
  assert.throws(() => oneVm(`<VM>${' '.repeat(1_100_000)}</VM>`), /more than 1048576 once decoded/, 'XML as large as the base64 bound allows is still refused');
});

function fakes(pending: Array<{ id: string; to: { switch: string; port: number } }> = []) {
  const calls: string[] = [];
  const statuses = new Map(pending.map((m) => [m.id, 'prepared']));
  const ports: Record<string, number | undefined> = { 'one-42-0': 5 };
  let asked = 0;
  const deps: OneHookDeps = {
    api: {
      hostByMac: async (mac) => ({ '52:54:00:0a:01:14': { ip: '10.0.1.20', switch: 'acc1', port: 5 } })[mac],
      switchByDpid: async (dpid) => ({ '0000000000030003': 'acc3' })[dpid],
      prepare: async (body) => {
        calls.push(`prepare ${body.hoa} ${body.switch}:${body.port} ${body.timeoutMs}`);
        return { id: '7', status: 'prepared' };
      },
      status: async (id) => statuses.get(id),
      pending: async () => pending.filter((m) => statuses.get(m.id) === 'prepared'),
      complete: async (id) => {
        if (statuses.get(id) !== 'prepared') throw new Error('409 not pending');
        statuses.set(id, 'completed');
        calls.push(`complete ${id}`);
      },
      cancel: async (id) => {
        statuses.set(id, 'cancelled');
        calls.push(`cancel ${id}`);
      },
    },
    ovs: {
      bridgeDpid: async (bridge) => ({ br0: '0000000000030003' })[bridge],
      ofport: async (tap) => {
        asked++;
        return ports[tap];
      },
    },
    log: (l) => calls.push(`log ${l}`),
    host: 'kvm3',
    timeoutMs: 600_000,
    tapWaitMs: 1000,
    sleep: async () => undefined,
  };
  return { deps, calls, ports, statuses, asked: () => asked };
}

test('ACTIVE/MIGRATE on the destination: the migration of the NIC the controller knows is prepared to its tap\'s switch and port; the other NIC (a MAC it does not know) is left alone', async () => {
  const f = fakes();
  assert.equal(await openNebulaHook(b64(xml(MIGRATE)), f.deps), 0);
  assert.deepEqual(f.calls.filter((c) => !c.startsWith('log')), ['prepare 10.0.1.20 acc3:5 600000']);
});

test('ACTIVE/MIGRATE before libvirt plugged the tap: the hook waits for its port, up to --tap-wait, then says so (exit 1)', async () => {
  const f = fakes();
  f.ports['one-42-0'] = undefined;
  let polls = 0;
  f.deps.sleep = async () => {
    if (++polls === 3) f.ports['one-42-0'] = 5;
  };
  assert.equal(await openNebulaHook(b64(xml(MIGRATE)), f.deps), 0);
  assert.equal(polls, 3);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('prepare')), ['prepare 10.0.1.20 acc3:5 600000']);

  const g = fakes();
  g.ports['one-42-0'] = undefined;
  assert.equal(await openNebulaHook(b64(xml(MIGRATE)), g.deps), 1);
  assert.equal(g.asked(), 11, 'asked at once, then every 100 ms until 1000 ms had passed');
  assert.match(g.calls.find((c) => c.startsWith('log'))!, /VM 42 52:54:00:0a:01:14: tap one-42-0 was not plugged within 1000 ms/);
  assert.deepEqual(g.calls.filter((c) => c.startsWith('prepare')), []);
});

test('ACTIVE/RUNNING where the pending migration goes: completed; where it does not (the live migration failed, the VM runs on at its source): cancelled', async () => {
  const f = fakes([{ id: '7', to: { switch: 'acc3', port: 5 } }]);
  assert.equal(await openNebulaHook(b64(xml(RUNNING)), f.deps), 0);
  assert.deepEqual(f.calls.filter((c) => !c.startsWith('log')), ['complete 7']);
  assert.match(f.calls.at(-1)!, /runs at acc3:5: migration 7 completed/);

  const g = fakes([{ id: '8', to: { switch: 'acc3', port: 6 } }]);
  assert.equal(await openNebulaHook(b64(xml(RUNNING)), g.deps), 0);
  assert.deepEqual(g.calls.filter((c) => !c.startsWith('log')), ['cancel 8']);
  assert.match(g.calls.at(-1)!, /runs at acc3:5, not at acc3:6: migration 8 cancelled/);
});

test('ACTIVE/RUNNING racing the VM\'s own first frame (the controller switched over between the hook\'s two calls): not an error, the migration is what it became', async () => {
  const f = fakes([{ id: '7', to: { switch: 'acc3', port: 5 } }]);
  const pending = f.deps.api.pending;
  f.deps.api.pending = async (hoa) => {
    const p = await pending(hoa);
    f.statuses.set('7', 'completed');
    return p;
  };
  assert.equal(await openNebulaHook(b64(xml(RUNNING)), f.deps), 0);
  assert.match(f.calls.at(-1)!, /migration 7 completed/);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('complete')), []);
  // Still pending after a refusal: that is an error.
  const g = fakes([{ id: '7', to: { switch: 'acc3', port: 5 } }]);
  g.deps.api.complete = async () => {
    throw new Error('503 not saved');
  };
  assert.equal(await openNebulaHook(b64(xml(RUNNING)), g.deps), 1);
  assert.match(g.calls.at(-1)!, /503 not saved/);
});

test('every other state, a RUNNING VM without a pending migration, and a call on a host that is not the VM\'s do nothing', async () => {
  for (const template of [xml(RUNNING), xml(2), xml(MIGRATE).replace('<STATE>3</STATE>', '<STATE>8</STATE>')]) {
    const f = fakes();
    assert.equal(await openNebulaHook(b64(template), f.deps), 0);
    assert.deepEqual(f.calls, []);
  }
  const f = fakes([{ id: '7', to: { switch: 'acc3', port: 5 } }]);
  assert.equal(await openNebulaHook(b64(xml(MIGRATE, 'kvm9')), f.deps), 0);
  assert.deepEqual(f.calls, ['log svcswitch hook: VM 42 is on kvm9 by its history, not on kvm3: nothing to do here (is the hook REMOTE = yes?)']);
});
