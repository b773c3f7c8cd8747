import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit, type AdmissionView, type MigrationRequest } from '../../src/migration/admission.js';
import type { Binding } from '../../src/migration/binding-store.js';
import { MigrationError } from '../../src/migration/migration-error.js';
import { loadTopology } from '../../src/topology/loader.js';
import { networksOf } from '../../src/topology/networks.js';

/** Admission alone: every refusal with its status and reason, and what an admitted request is. */

const topology = loadTopology('topologies/dc-small.yaml');
const networks = networksOf(topology).filter((n) => !n.external);
const H11 = { mac: '02:00:0a:00:01:0a', switch: 'acc1', port: 3 };
const bindingAt = (over: Partial<Binding> = {}): Binding => ({
  hoa: '10.0.1.10', mac: H11.mac, homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
  switch: 'acc3', port: 5, mode: 'first-hop', state: 'active', createdAt: 1, updatedAt: 2, ...over,
});

function view(over: Partial<AdmissionView> = {}, binding?: Binding): AdmissionView {
  return {
    declared: topology,
    networks,
    hostByIp: (ip) => (ip === '10.0.1.10' ? H11 : undefined),
    inFlight: () => false,
    binding: (hoa) => (hoa === binding?.hoa ? binding : undefined),
    defaultMode: 'optimized',
    ...over,
  };
}

function refused(req: MigrationRequest, v: AdmissionView): { status: number; message: string } {
  try {
    admit(req, v);
  } catch (e) {
    assert.ok(e instanceof MigrationError, String(e));
    return { status: e.status, message: e.message };
  }
  assert.fail(`${JSON.stringify(req)} was admitted`);
}

test('every refusal: its status and its reason', () => {
  const req = { hoa: '10.0.1.10', switch: 'acc3', port: 5 };
  assert.deepEqual(refused(req, view({ declared: undefined })), { status: 400, message: 'migration needs a topology file' });
  assert.deepEqual(refused({ ...req, hoa: '10.0.1.99' }, view()), { status: 404, message: 'no VM with address 10.0.1.99' });
  assert.deepEqual(refused({ ...req, hoa: '10.0.1.10' }, view({ networks: [] })), { status: 404, message: 'no VM with address 10.0.1.10' }, 'a host outside every subnet is no VM of ours');
  assert.deepEqual(refused({ ...req, switch: 'acc9' }, view()), { status: 404, message: 'no switch named "acc9"' });
  assert.deepEqual(refused({ ...req, port: 1 }, view()), { status: 400, message: 'acc3:1 joins two switches; a VM attaches at a host port' });
  assert.deepEqual(refused({ ...req, switch: 'agg1', port: 9 }, view()), { status: 400, message: 'agg1 serves no subnet; a VM attaches at an access switch' });
  assert.deepEqual(refused(req, view({ inFlight: (hoa) => hoa === '10.0.1.10' })), { status: 409, message: 'a migration of 10.0.1.10 is already in flight' });
  assert.deepEqual(refused({ ...req, switch: 'acc1', port: 3 }, view()), { status: 409, message: '10.0.1.10 is already at acc1:3' });
  assert.deepEqual(refused({ ...req, switch: 'acc1', port: 7 }, view()), { status: 409, message: '10.0.1.10 is already in net1; a move inside a subnet is followed where the VM is seen, not migrated' });
  const bound = view({}, bindingAt());
  assert.deepEqual(refused({ ...req, port: 5 }, bound), { status: 409, message: '10.0.1.10 is already at acc3:5' });
  assert.deepEqual(refused({ ...req, port: 6 }, bound), { status: 409, message: '10.0.1.10 is already in net3; a move inside a subnet is followed where the VM is seen, not migrated' });
  assert.deepEqual(refused({ ...req, switch: 'acc1', port: 4 }, bound), { status: 409, message: '10.0.1.10 returns to net1 at its declared port acc1:3, not acc1:4' });
  // A dual-stack VM into a subnet without an IPv6 side: its IPv6 would have no CoA there.
  const ipv4OnlyNet3 = networks.map((n) => (n.name === 'net3' ? { ...n, ipv6: undefined } : n));
  assert.deepEqual(refused(req, view({ networks: ipv4OnlyNet3 })), { status: 409, message: '10.0.1.10 is dual-stack (2001:db8:0:1::10) and net3 has no IPv6 side: its IPv6 connections would not survive the move' });
  assert.equal(admit({ ...req, switch: 'acc1', port: 3 }, view({ networks: ipv4OnlyNet3 }, bindingAt())).target.name, 'net1', 'but it may always go home');
  // A binding whose declared place is in another subnet than its address (set aside at a restart): a move there is a move, not a return.
  assert.equal(admit({ ...req, switch: 'acc2', port: 3 }, view({}, bindingAt({ home: { switch: 'acc2', port: 3 } }))).target.name, 'net2');
});

test('a first move: from where the VM is, in the request\'s mode (else the default), no CoA held, declared where it is', () => {
  const a = admit({ hoa: '10.0.1.10', switch: 'acc3', port: 5, mode: 'mobile-ip' }, view());
  assert.deepEqual(
    { ...a, home: a.home.name, target: a.target.name },
    { hoa: '10.0.1.10', mac: H11.mac, home: 'net1', target: 'net3', from: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' }, binding: undefined, mode: 'mobile-ip', declaredAt: { switch: 'acc1', port: 3 }, coaWasHeld: false },
  );
  assert.equal(admit({ hoa: '10.0.1.10', switch: 'acc3', port: 5 }, view()).mode, 'optimized', 'the default');
});

test('a chained move and a return home: from the binding, in its mode unless the request names one, declared where the binding says', () => {
  const b = bindingAt({ home: { switch: 'acc1', port: 3 } });
  const chained = admit({ hoa: '10.0.1.10', switch: 'acc4', port: 5 }, view({}, b));
  assert.deepEqual([chained.from, chained.mode, chained.declaredAt, chained.coaWasHeld, chained.binding], [{ switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' }, 'first-hop', { switch: 'acc1', port: 3 }, false, b]);
  assert.equal(admit({ hoa: '10.0.1.10', switch: 'acc4', port: 5, mode: 'optimized' }, view({}, b)).mode, 'optimized');
  const home = admit({ hoa: '10.0.1.10', switch: 'acc1', port: 3 }, view({}, b));
  assert.deepEqual([home.target.name, home.home.name, home.coaWasHeld], ['net1', 'net1', false]);
  // The binding's record of where the VM was declared wins over where host learning saw it.
  const elsewhere = admit({ hoa: '10.0.1.10', switch: 'acc4', port: 5 }, view({ hostByIp: () => ({ ...H11, switch: 'acc3', port: 5 }) }, bindingAt({ home: { switch: 'acc1', port: 4 } })));
  assert.deepEqual(elsewhere.declaredAt, { switch: 'acc1', port: 4 });
  // A binding in the target subnet (its switch's own port moved in the store) holds its CoA.
  const held = admit({ hoa: '10.0.1.10', switch: 'acc3', port: 6 }, view({}, bindingAt({ switch: 'acc4', port: 5 })));
  assert.equal(held.coaWasHeld, true);
});
