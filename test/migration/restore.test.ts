import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../lab/memory-logger.js';
import { type Binding, InMemoryBindingStore, type MigrationRecord } from '../../src/migration/binding-store.js';
import { MigrationLedger } from '../../src/migration/migration-ledger.js';
import { MigrationResources } from '../../src/migration/migration-resources.js';
import { restoreMigrations } from '../../src/migration/restore.js';
import { loadTopology } from '../../src/topology/loader.js';
import { networksOf } from '../../src/topology/networks.js';

/** The restore alone, on an in-memory store: what comes back in force, what is set aside and why, in which order. */

const topology = loadTopology('topologies/dc-small.yaml');
const networks = networksOf(topology).filter((n) => !n.external);
const binding = (hoa: string, over: Partial<Binding> = {}): Binding => ({
  hoa, mac: `02:00:00:00:00:${hoa.split('.')[3]!.padStart(2, '0')}`, homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
  switch: 'acc3', port: 5, mode: 'optimized', state: 'active', createdAt: 1, updatedAt: 2, ...over,
});
const flight = (hoa: string, status: MigrationRecord['status'], over: Partial<MigrationRecord> = {}): MigrationRecord => ({
  id: `m${hoa}`, hoa, mac: '02:00:00:00:00:99', mode: 'optimized', trigger: 'orchestrated', status, timeline: [],
  from: { switch: 'acc1', port: 4, coa: undefined, subnet: 'net1' }, to: { switch: 'acc4', port: 5, coa: '10.0.4.200', subnet: 'net4' }, ...over,
});

function run(store: InMemoryBindingStore, confirm: (hoa: string) => Promise<void> = async () => undefined) {
  const { logger, lines } = memoryLogger();
  const resources = new MigrationResources(topology.subnets);
  const ledger = new MigrationLedger(16);
  const calls: string[] = [];
  restoreMigrations({
    bindings: store, resources, ledger, networks, switches: new Set(topology.switches.map((s) => s.name)), log: logger,
    relocate: (b) => calls.push(`relocate ${b.hoa} ${b.switch}:${b.port}`),
    pend: (r, held, ms) => calls.push(`pend ${r.hoa} ${held} ${ms > 0 ? 'left' : 'past'}`),
    replan: (hoa) => {
      calls.push(`replan ${hoa}`);
      return { version: 1, dpids: [] };
    },
    confirm: (_w, r) => confirm(r.hoa),
    save: (write, hoa) => {
      calls.push(`save ${hoa}`);
      write();
      return true;
    },
  });
  return { resources, ledger, calls, lines };
}

test('bindings back in force: each CoA claimed, active VMs relocated (a prepared one is not), every live VM re-planned; group ids kept only for migrations in flight', () => {
  const store = new InMemoryBindingStore();
  store.put(binding('10.0.1.10'));
  store.put(binding('10.0.1.11', { coa: '10.0.3.201', state: 'prepared', port: 6 }));
  store.setGroupId('10.0.1.10', 0x53564000);
  store.setGroupId('10.0.1.12', 0x53564002);
  store.setInFlight('10.0.1.12', { record: flight('10.0.1.12', 'prepared'), coaWasHeld: false, deadline: Date.now() + 60_000 });
  const r = run(store);
  assert.deepEqual(r.calls, [
    'save 10.0.1.10',
    'relocate 10.0.1.10 acc3:5',
    'pend 10.0.1.12 false left',
    'replan 10.0.1.10', 'replan 10.0.1.11', 'replan 10.0.1.12',
  ]);
  assert.deepEqual([...store.groupIds()], [['10.0.1.12', 0x53564002]], 'a settled VM\'s stale group id is dropped from the store');
  assert.equal(r.resources.groups.get('10.0.1.12'), 0x53564002, 'the one in flight is held again');
  assert.equal(r.resources.groups.has('10.0.1.10'), false);
  assert.deepEqual([r.resources.pools.holder('net3', '10.0.3.200'), r.resources.pools.holder('net3', '10.0.3.201'), r.resources.pools.holder('net4', '10.0.4.200')], ['10.0.1.10', '10.0.1.11', '10.0.1.12']);
  assert.deepEqual(r.ledger.all().map((m) => [m.id, m.status, m.timeline.map((t) => t.step)]), [['m10.0.1.12', 'prepared', ['found after a restart']]]);
  assert.deepEqual(r.lines.filter((l) => l.level === 'info').map((l) => [l.message, l.bindings, l.inFlight]), [['migration state restored', 2, 1]]);
});

test('a migration in flight past its deadline is pended with no time left (rolled back at once); one still preparing is confirmed again and becomes prepared, or says why it was not', async () => {
  const store = new InMemoryBindingStore();
  const late = flight('10.0.1.12', 'prepared');
  const preparing = flight('10.0.1.13', 'preparing', { to: { switch: 'acc2', port: 5, coa: '10.0.2.200', subnet: 'net2' } });
  const broken = flight('10.0.1.14', 'preparing', { to: { switch: 'acc2', port: 6, coa: '10.0.2.201', subnet: 'net2' } });
  store.setInFlight('10.0.1.12', { record: late, coaWasHeld: true, deadline: Date.now() - 1000 });
  store.setInFlight('10.0.1.13', { record: preparing, coaWasHeld: false, deadline: Date.now() + 60_000 });
  store.setInFlight('10.0.1.14', { record: broken, coaWasHeld: false, deadline: Date.now() + 60_000 });
  const r = run(store, async (hoa) => {
    if (hoa === '10.0.1.14') throw new Error('acc2 did not confirm');
  });
  assert.deepEqual(r.calls.filter((c) => c.startsWith('pend')), ['pend 10.0.1.12 true past', 'pend 10.0.1.13 false left', 'pend 10.0.1.14 false left']);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('replan')), ['replan 10.0.1.12', 'replan 10.0.1.13', 'replan 10.0.1.14', 'replan 10.0.1.13', 'replan 10.0.1.14'], 'the preparing ones are re-planned for their confirmation');
  await new Promise((done) => setImmediate(done));
  const status = (id: string) => r.ledger.get(id)!.status;
  assert.deepEqual([status('m10.0.1.12'), status('m10.0.1.13'), status('m10.0.1.14')], ['prepared', 'prepared', 'preparing']);
  assert.deepEqual(r.lines.filter((l) => l.message === 'resumed migration not confirmed').map((l) => [l.level, l.hoa, l.error]), [['warn', '10.0.1.14', 'acc2 did not confirm']]);
  assert.equal(r.resources.pools.holder('net2', '10.0.2.200'), '10.0.1.13', 'its new CoA claimed');
});

test('rows that do not fit the topology or cannot be read are set aside with a warn naming the table, the VM and why; a CoA held twice is said; nothing of them is in force', () => {
  const store = new InMemoryBindingStore();
  store.put(binding('10.0.1.10', { switch: 'acc9' }));
  store.put(binding('10.0.1.11', { coa: '10.0.3.77' }));
  store.put(binding('10.0.1.12'));
  store.put(binding('10.0.1.13'));
  store.setInFlight('10.0.1.14', { record: flight('10.0.1.14', 'prepared', { to: { switch: 'acc4', port: 5, coa: '10.0.4.200', subnet: 'net3' } }), coaWasHeld: false, deadline: Date.now() + 1000 });
  Object.defineProperty(store, 'unreadable', { value: [{ table: 'bindings', hoa: '10.0.1.99', why: 'not JSON' }] });
  const r = run(store);
  const warns = r.lines.filter((l) => l.level === 'warn').map((l) => [l.message, l.table, l.hoa, l.why ?? l.coa]);
  assert.deepEqual(warns, [
    ['stored row skipped', 'bindings', '10.0.1.99', 'not JSON'],
    ['stored row skipped: it does not fit the topology', 'bindings', '10.0.1.10', 'switch acc9 is not in the topology'],
    ['stored row skipped: it does not fit the topology', 'bindings', '10.0.1.11', 'CoA 10.0.3.77 is not in the pool of net3'],
    ['stored row skipped: it does not fit the topology', 'migrations_in_flight', '10.0.1.14', 'subnet net3 is not served by acc4 in the topology'],
    ['stored CoA already held', undefined, '10.0.1.13', '10.0.3.200'],
  ]);
  assert.deepEqual(store.all().map((b) => b.hoa), ['10.0.1.12', '10.0.1.13']);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('relocate')), ['relocate 10.0.1.12 acc3:5', 'relocate 10.0.1.13 acc3:5']);
  assert.equal(r.ledger.all().length, 0);
});

test('resting CoAs saved before come back resting until their time (a restart, a new leader): the pool does not hand them out before', () => {
  const store = new InMemoryBindingStore();
  store.put(binding('10.0.1.10'));
  store.setResting('10.0.3.201', { subnet: 'net3', until: Date.now() + 60_000 });
  store.setResting('10.0.3.202', { subnet: 'net3', until: Date.now() - 1 });
  const r = run(store);
  assert.ok(r.resources.pools.restingUntil('net3', '10.0.3.201')! > Date.now());
  assert.equal(r.resources.pools.restingUntil('net3', '10.0.3.202'), undefined, 'its rest is over');
  assert.deepEqual(r.resources.pools.allocate('net3', '10.0.1.99'), { coa: '10.0.3.202' }, '.200 held, .201 resting');
});

test('an empty store: nothing done, nothing said', () => {
  const r = run(new InMemoryBindingStore());
  assert.deepEqual([r.calls, r.lines], [[], []]);
});
