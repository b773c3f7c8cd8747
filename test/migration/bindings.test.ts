import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemoryBindingStore, copyBinding, type Binding, type BindingChange, type InFlight, type MigrationRecord } from '../../src/migration/binding-store.js';
import { CoaPools } from '../../src/migration/coa-pools.js';
import { loadTopology } from '../../src/topology/loader.js';

const subnets = loadTopology('topologies/dc-small.yaml').subnets;

test('CoA pools: lowest free first, never one CoA for two VMs, the same one when asked again', () => {
  let now = 0;
  const pools = new CoaPools(subnets, 30_000, () => now);
  const net3 = subnets.find((s) => s.switch === 'acc3')!;
  assert.deepEqual(pools.allocate(net3.name, '10.0.1.10'), { coa: net3.coaPool.first });
  assert.deepEqual(pools.allocate(net3.name, '10.0.1.10'), { coa: net3.coaPool.first }, 'idempotent for its holder');
  const second = pools.allocate(net3.name, '10.0.1.11');
  assert.ok('coa' in second && second.coa !== net3.coaPool.first);
  assert.equal(pools.holder(net3.name, net3.coaPool.first), '10.0.1.10');
  assert.equal(pools.release(net3.name, net3.coaPool.first, '10.0.1.11'), false, 'only its holder gives it back');
  assert.equal(pools.release(net3.name, net3.coaPool.first, '10.0.1.10'), true);
  assert.equal(pools.holder(net3.name, net3.coaPool.first), undefined);
  const third = pools.allocate(net3.name, '10.0.2.10');
  assert.ok('coa' in third && third.coa !== net3.coaPool.first, 'a released CoA rests: not handed out again at once');
  now = 30_000;
  assert.deepEqual(pools.allocate(net3.name, '10.0.2.11'), { coa: net3.coaPool.first }, 'once rested it is reused, lowest first');
  assert.deepEqual(pools.allocate('net9', '10.0.1.10'), { error: 'no subnet named "net9"' });
  assert.equal(pools.release('net9', net3.coaPool.first, '10.0.2.10'), false, 'an unknown subnet holds nothing');
  assert.equal(pools.release(net3.name, 'not an address', '10.0.2.10'), false);
  assert.equal(pools.holder('net9', net3.coaPool.first), undefined);
  assert.equal(pools.free('net9'), 0);
});

test('CoA pools are bounded by their size: the pool exhausted is an answer, not an exception; resting CoAs are said', () => {
  const small = [{ ...subnets[0]!, coaPool: { first: '10.0.1.200', last: '10.0.1.202' } }];
  let now = 0;
  const pools = new CoaPools(small, 30_000, () => now);
  const name = small[0]!.name;
  for (const hoa of ['10.0.2.1', '10.0.2.2', '10.0.2.3']) assert.ok('coa' in pools.allocate(name, hoa));
  assert.equal(pools.free(name), 0);
  assert.deepEqual(pools.allocate(name, '10.0.2.4'), { error: `the CoA pool of ${name} (10.0.1.200-10.0.1.202) is exhausted` });
  pools.release(name, '10.0.1.201', '10.0.2.2');
  assert.equal(pools.free(name), 1);
  assert.deepEqual(pools.allocate(name, '10.0.2.4'), { error: `the CoA pool of ${name} (10.0.1.200-10.0.1.202) is exhausted; 1 released in the last 30 s rest before reuse` });
  now = 29_999;
  assert.ok('error' in pools.allocate(name, '10.0.2.4'));
  now = 30_000;
  assert.deepEqual(pools.allocate(name, '10.0.2.4'), { coa: '10.0.1.201' });
  assert.deepEqual(new CoaPools(small, 0).release(name, '10.0.1.200', 'x'), false, 'nothing to release that was not held');
});

test('CoA pools: a saved rest is honoured (restart, new leader); not one that is over, nor on a held CoA or one outside the pool; restingUntil says until when', () => {
  const small = [{ ...subnets[0]!, coaPool: { first: '10.0.1.200', last: '10.0.1.201' } }];
  let now = 1_000;
  const pools = new CoaPools(small, 30_000, () => now);
  const name = small[0]!.name;
  assert.ok('coa' in pools.allocate(name, '10.0.2.9'), 'holds .200');
  pools.rest(name, '10.0.1.200', 5_000);
  assert.equal(pools.restingUntil(name, '10.0.1.200'), undefined, 'a held CoA does not rest');
  pools.rest(name, '10.0.1.201', 999);
  assert.equal(pools.restingUntil(name, '10.0.1.201'), undefined, 'over already');
  pools.rest(name, '10.0.9.1', 5_000);
  assert.equal(pools.restingUntil(name, '10.0.9.1'), undefined, 'outside the pool');
  pools.rest(name, '10.0.1.201', 5_000);
  assert.equal(pools.restingUntil(name, '10.0.1.201'), 5_000);
  assert.match((pools.allocate(name, '10.0.2.10') as { error: string }).error, /1 released in the last 30 s rest before reuse/);
  now = 5_000;
  assert.equal(pools.restingUntil(name, '10.0.1.201'), undefined);
  assert.deepEqual(pools.allocate(name, '10.0.2.10'), { coa: '10.0.1.201' });
  pools.release(name, '10.0.1.201', '10.0.2.10');
  assert.equal(pools.restingUntil(name, '10.0.1.201'), 35_000, 'a release rests restMs from now');
});

const binding = (hoa: string, coa: string): Binding => ({
  hoa, mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa, switch: 'acc3', port: 5, mode: 'first-hop', state: 'prepared', createdAt: 1, updatedAt: 1,
});

test('binding store: changes are a stream; a late subscriber first gets every binding; values are copies', () => {
  const store = new InMemoryBindingStore();
  const early: BindingChange[] = [];
  store.changes$.subscribe((c) => early.push(c));
  store.put(binding('10.0.1.10', '10.0.3.200'));
  store.put(binding('10.0.1.11', '10.0.3.201'));
  store.put({ ...binding('10.0.1.10', '10.0.3.200'), state: 'active', updatedAt: 2 });
  assert.deepEqual(early.map((c) => [c.kind, c.binding.hoa, c.binding.state]), [['set', '10.0.1.10', 'prepared'], ['set', '10.0.1.11', 'prepared'], ['set', '10.0.1.10', 'active']]);
  const late: BindingChange[] = [];
  store.changes$.subscribe((c) => late.push(c));
  assert.deepEqual(late.map((c) => [c.kind, c.binding.hoa, c.binding.state]), [['set', '10.0.1.10', 'active'], ['set', '10.0.1.11', 'prepared']]);
  assert.equal(store.delete('10.0.1.11'), true);
  assert.equal(store.delete('10.0.1.11'), false);
  assert.deepEqual(late.slice(2).map((c) => [c.kind, c.binding.hoa]), [['deleted', '10.0.1.11']]);
  const got = store.get('10.0.1.10')!;
  got.port = 99;
  assert.equal(store.get('10.0.1.10')!.port, 5, 'a caller cannot change the store through what it was given');
  assert.deepEqual(store.all().map((b) => b.hoa), ['10.0.1.10']);
});

test('CoA pools after a restart: a claim inside the pool holds, outside it or another VM\'s is refused; release and holder by exact owner', () => {
  const pools = new CoaPools(subnets);
  // net3's pool: 10.0.3.200-10.0.3.250.
  assert.equal(pools.claim('net3', '10.0.3.200', '10.0.1.10'), true, 'the first of the pool');
  assert.equal(pools.claim('net3', '10.0.3.250', '10.0.1.11'), true, 'the last of the pool');
  assert.equal(pools.claim('net3', '10.0.3.199', '10.0.1.12'), false, 'just below');
  assert.equal(pools.claim('net3', '10.0.3.251', '10.0.1.12'), false, 'just above');
  assert.equal(pools.claim('nosuch', '10.0.3.210', '10.0.1.12'), false, 'no such subnet');
  assert.equal(pools.claim('net3', 'not an address', '10.0.1.12'), false);
  assert.equal(pools.claim('net3', '10.0.3.200', '10.0.1.12'), false, 'another VM holds it');
  assert.equal(pools.claim('net3', '10.0.3.200', '10.0.1.10'), true, 'its own holder may claim it again');
  assert.equal(pools.free('net3'), 51 - 2);
  assert.equal(pools.holder('net3', '10.0.3.250'), '10.0.1.11');
  assert.equal(pools.holder('net3', '10.0.3.201'), undefined);
  assert.equal(pools.holder('net3', 'garbage'), undefined);
  assert.equal(pools.release('net3', '10.0.3.250', '10.0.1.10'), false, 'not its holder');
  assert.equal(pools.release('net3', 'garbage', '10.0.1.11'), false);
  assert.equal(pools.release('net3', '10.0.3.250', '10.0.1.11'), true);
  assert.equal(pools.holder('net3', '10.0.3.250'), undefined);
  assert.equal(pools.free('net3'), 51 - 1);
  assert.equal(pools.free('nosuch'), 0);
});

test('binding store: group ids and migrations in flight are set, replaced and removed per VM; values are copies; ids never repeat', () => {
  const store = new InMemoryBindingStore();
  store.setGroupId('10.0.1.10', 0x53564000);
  store.setGroupId('10.0.1.11', 0x53564002);
  store.setGroupId('10.0.1.10', 0x53564004);
  assert.deepEqual([...store.groupIds()], [['10.0.1.10', 0x53564004], ['10.0.1.11', 0x53564002]]);
  store.setGroupId('10.0.1.10', undefined);
  assert.deepEqual([...store.groupIds()], [['10.0.1.11', 0x53564002]]);
  store.groupIds().clear();
  assert.equal(store.groupIds().size, 1, 'a copy');
  const flight = (id: string): InFlight => ({ record: { id } as MigrationRecord, coaWasHeld: false, deadline: 1 });
  store.setInFlight('10.0.1.10', flight('1'));
  store.setInFlight('10.0.1.11', flight('2'));
  store.setInFlight('10.0.1.10', flight('3'));
  assert.deepEqual(store.inFlight().map((m) => m.record.id), ['3', '2']);
  store.inFlight()[0]!.record.id = 'changed';
  assert.equal(store.inFlight()[0]!.record.id, '3', 'a copy');
  store.setInFlight('10.0.1.10', undefined);
  assert.deepEqual(store.inFlight().map((m) => m.record.id), ['2']);
  const ids = [store.takeMigrationId(), store.takeMigrationId(), store.takeMigrationId()].map(Number);
  assert.deepEqual([ids[1]! - ids[0]!, ids[2]! - ids[1]!], [1, 1], 'one after the other');
  assert.equal(store.transaction(() => 42), 42);
});

test('a binding copy has every field and its own home: what a caller changes never reaches the store', () => {
  const b: Binding = {
    hoa: '10.0.1.10', mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
    switch: 'acc3', port: 7, mode: 'first-hop', state: 'active', createdAt: 5, updatedAt: 6,
  };
  const c = copyBinding(b);
  assert.deepEqual(c, b);
  assert.notEqual(c.home, b.home);
  const store = new InMemoryBindingStore();
  store.put(b);
  b.home.port = 99;
  store.get(b.hoa)!.home.port = 98;
  assert.equal(store.get(b.hoa)!.home.port, 3);
});
