import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { InMemoryBindingStore, MIGRATION_MODES, type Binding, type BindingChange, type InFlight } from '../../src/migration/binding-store.js';
import { SCHEMA_STEPS, StateFileError, openStateDatabase } from '../../src/state/database.js';
import { SqliteBindingStore } from '../../src/state/sqlite-binding-store.js';
import { held, migrationRig, type Rig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';

/**
 * The durable state (SQLite): the schema and its upgrades, the store's all-or-nothing
 * writes, a kill -9 that loses nothing, and a controller restarted on its state dir that
 * resumes its migrations and rewrites no switch's table (scripted switches with real
 * tables keep theirs across the restart, as OVS does in fail-mode secure).
 */

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'svcswitch-state-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const H11 = '10.0.1.10';
const H12 = '10.0.1.11';
const binding = (hoa: string, coa: string, over: Partial<Binding> = {}): Binding => ({
  hoa, mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa, switch: 'acc3', port: 5, mode: 'first-hop', state: 'active', createdAt: 1, updatedAt: 2, ...over,
});
const flight = (hoa: string): InFlight => ({
  coaWasHeld: false, deadline: 123_456,
  record: { id: '7', hoa, mac: '02:00:0a:00:01:0b', mode: 'optimized', trigger: 'orchestrated', from: { switch: 'acc1', port: 4, coa: undefined, subnet: 'net1' }, to: { switch: 'acc3', port: 6, coa: '10.0.3.201', subnet: 'net3' }, status: 'prepared', timeline: [{ step: 'requested', at: 5 }] },
});

test('schema: a new file is at the last version; a version-1 file is brought up to date and keeps its bindings; a newer file is refused, naming it', () => {
  const fresh = tempDir();
  const db = openStateDatabase(fresh);
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_STEPS.length);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();

  const old = tempDir();
  const v1 = openStateDatabase(old, SCHEMA_STEPS.slice(0, 1));
  // As a version-1 svcswitch wrote it (today's store needs today's tables).
  const b = binding(H11, '10.0.3.200');
  v1.prepare('INSERT INTO bindings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(b.hoa, b.mac, b.homeSubnet, b.home.switch, b.home.port, b.subnet, b.coa, b.switch, b.port, b.mode, b.state, b.createdAt, b.updatedAt);
  assert.throws(() => v1.prepare('SELECT * FROM hosts').all(), /no such table: hosts/);
  v1.close();
  const upgraded = openStateDatabase(old);
  assert.equal(upgraded.pragma('user_version', { simple: true }), SCHEMA_STEPS.length);
  assert.deepEqual(upgraded.prepare('SELECT * FROM hosts').all(), [], 'the hosts table was added');
  assert.deepEqual(upgraded.prepare('SELECT * FROM migration_history').all(), [], 'and the finished migrations\' table');
  assert.deepEqual(new SqliteBindingStore(upgraded).all(), [binding(H11, '10.0.3.200')], 'the binding survived the upgrade');
  upgraded.pragma('user_version = 9');
  upgraded.close();
  assert.throws(() => openStateDatabase(old), (e: Error) => e instanceof StateFileError && e.message === `${join(old, 'state.db')}: schema version 9 is newer than this svcswitch knows (${SCHEMA_STEPS.length}); upgrade svcswitch or use another --state-dir`);
});

test('the store: what was written is there after reopening; a failed transaction changes neither the file, nor memory, nor changes$', () => {
  const dir = tempDir();
  const db = openStateDatabase(dir);
  const store = new SqliteBindingStore(db);
  store.put(binding(H11, '10.0.3.200'));
  store.setGroupId(H11, 0x53560000);
  store.setInFlight(H12, flight(H12));
  assert.deepEqual([store.takeMigrationId(), store.takeMigrationId()], ['1', '2']);
  const seen: BindingChange[] = [];
  store.changes$.subscribe((c) => seen.push(c));
  assert.equal(seen.length, 1, 'a late subscriber gets the binding first');
  // A CoA held by two VMs: the schema refuses it, and the whole transaction with it.
  assert.throws(() => store.transaction(() => {
    store.setGroupId(H12, 0x53560002);
    store.put(binding(H12, '10.0.3.200'));
  }), /UNIQUE constraint failed: bindings.subnet, bindings.coa/);
  assert.equal(seen.length, 1, 'nothing announced');
  assert.deepEqual(store.groupIds(), new Map([[H11, 0x53560000]]), 'memory unchanged');
  assert.equal(store.get(H12), undefined);
  assert.throws(() => store.setGroupId(H12, 0x53560000), /UNIQUE constraint failed: bicast_groups.group_id/, 'nor one group id for two');
  assert.deepEqual(store.all(), [binding(H11, '10.0.3.200')], 'the other VM\'s binding is untouched');
  db.close();

  const again = new SqliteBindingStore(openStateDatabase(dir));
  assert.deepEqual(again.all(), [binding(H11, '10.0.3.200')]);
  assert.deepEqual(again.groupIds(), new Map([[H11, 0x53560000]]), 'and the file: the failed group write rolled back');
  assert.deepEqual(again.inFlight(), [flight(H12)]);
  assert.equal(again.takeMigrationId(), '3', 'ids go on where they were');
  const got = again.get(H11)!;
  got.home.port = 99;
  assert.equal(again.get(H11)!.home.port, 3, 'callers get copies');
  assert.equal(again.delete(H11), true);
  assert.equal(again.delete(H11), false);
  again.setInFlight(H12, undefined);
  again.setGroupId(H11, undefined);
  assert.deepEqual([again.all(), again.inFlight(), again.groupIds().size], [[], [], 0]);
});

test('kill -9 right after a write: the binding is there when the file is opened again', async () => {
  const dir = tempDir();
  openStateDatabase(dir).close();
  const database = new URL('../../src/state/database.js', import.meta.url).href;
  const storeModule = new URL('../../src/state/sqlite-binding-store.js', import.meta.url).href;
  const script = `
    const { openStateDatabase } = await import(${JSON.stringify(database)});
    const { SqliteBindingStore } = await import(${JSON.stringify(storeModule)});
    const store = new SqliteBindingStore(openStateDatabase(${JSON.stringify(dir)}));
    store.transaction(() => { store.put(${JSON.stringify(binding(H11, '10.0.3.200'))}); store.setGroupId(${JSON.stringify(H11)}, 1398145024); });
    process.stdout.write('written\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('written') && resolve());
    child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before writing`)));
  });
  child.kill('SIGKILL');
  const [, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (code, sig) => r([code, sig])));
  assert.equal(signal, 'SIGKILL');
  const store = new SqliteBindingStore(openStateDatabase(dir));
  assert.deepEqual(store.all(), [binding(H11, '10.0.3.200')]);
  assert.deepEqual(store.groupIds(), new Map([[H11, 1398145024]]));
});

test('one controller per state dir: a second process is refused naming the holder\'s pid; once the holder is killed (-9) its stale lock is taken over; state.db and its WAL are 0600', async () => {
  const dir = tempDir();
  const database = new URL('../../src/state/database.js', import.meta.url).href;
  const script = `
    const { openStateDatabase } = await import(${JSON.stringify(database)});
    const db = openStateDatabase(${JSON.stringify(dir)});
    db.prepare('INSERT INTO meta VALUES (?, ?)').run('x', 1);
    process.stdout.write('open\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
      child.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
    });
    assert.throws(() => openStateDatabase(dir), (e: Error) => e instanceof StateFileError && e.message === `${dir}: in use by the svcswitch of pid ${child.pid} (${join(dir, 'lock')}); stop it, or give this one another --state-dir`);
    for (const f of ['state.db', 'state.db-wal']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  const db = openStateDatabase(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8').trim(), String(process.pid), 'the stale lock is this process\'s now');
  db.close();
  assert.equal(existsSync(join(dir, 'lock')), false, 'closing the file releases the dir');
});

test('a pre-existing state.db readable by others is made 0600 when opened', () => {
  const dir = tempDir();
  new Database(join(dir, 'state.db')).close();
  chmodSync(join(dir, 'state.db'), 0o644);
  openStateDatabase(dir).close();
  assert.equal(statSync(join(dir, 'state.db')).mode & 0o777, 0o600);
});

test('a state file from a changed topology or with a bad row: the controller starts, each row it cannot use is skipped with a warn naming it and why, kept in the file; the others are restored', async () => {
  const stateDir = tempDir();
  const db = openStateDatabase(stateDir);
  const store = new SqliteBindingStore(db);
  store.put(binding(H11, '10.0.3.200'));
  store.put(binding(H12, '10.0.4.200', { mac: '02:00:0a:00:01:0b', home: { switch: 'acc1', port: 4 }, subnet: 'net4', switch: 'acc9' }));
  store.put(binding('10.0.2.10', '10.0.2.77', { mac: '02:00:0a:00:02:0a', homeSubnet: 'net2', home: { switch: 'acc2', port: 3 }, subnet: 'net2', switch: 'acc2', port: 9 }));
  db.prepare('INSERT INTO migrations_in_flight VALUES (?, ?, ?, ?)').run('10.0.2.11', '{"id": "9", "hoa": ', 0, 1);
  db.close();
  const r = await migrationRig(60_000, { stateDir });
  try {
    assert.deepEqual(r.app.migration.bindings.all().map((b) => b.hoa), [H11], 'the binding that fits is restored');
    const skipped = r.lines.filter((l) => String(l.message).startsWith('stored row skipped')).map((l) => [l.level, l.table, l.hoa, l.why]);
    assert.deepEqual(skipped.sort(), [
      ['warn', 'bindings', '10.0.2.10', 'CoA 10.0.2.77 is not in the pool of net2'],
      ['warn', 'bindings', H12, 'switch acc9 is not in the topology'],
      ['warn', 'migrations_in_flight', '10.0.2.11', 'its record is not JSON: Unexpected end of JSON input'],
    ].sort());
    const health = await r.call('GET', '/api/health');
    assert.equal(health.status, 200);
  } finally {
    await r.close();
  }
  const kept = new Database(join(stateDir, 'state.db'), { readonly: true });
  assert.equal((kept.prepare('SELECT count(*) AS n FROM bindings').get() as { n: number }).n, 3, 'nothing erased from the file');
  kept.close();
});

test('a state dir that cannot be opened is named in the error', () => {
  const dir = tempDir();
  const file = join(dir, 'not-a-dir');
  new Database(file).close();
  assert.throws(() => openStateDatabase(file), (e: Error) => e instanceof StateFileError && e.message.startsWith(`${join(file, 'state.db')}: cannot be opened: `));
});

test('a read-only state: a migration request is 503 and changes nothing (no binding, no CoA, no mod to any switch); once writable again it goes through', async () => {
  const r = await migrationRig(60_000, { stateDir: tempDir() });
  try {
    const logs = [...r.tables.values()].map((t) => t.log.length);
    r.app.state!.pragma('query_only = ON');
    const refused = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(refused.status, 503);
    assert.match(String(refused.body.error), /^migration state could not be saved, nothing changed: attempt to write a readonly database/);
    assert.deepEqual([r.app.migration.bindings.all(), r.app.migration.migrations(), r.app.migration.coaFree('net3')], [[], [], 2]);
    await r.app.settled();
    assert.deepEqual([...r.tables.values()].map((t) => t.log.length), logs, 'no switch was sent anything');
    r.app.state!.pragma('query_only = OFF');
    const ok = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.deepEqual([ok.status, (ok.body.to as { coa: string }).coa], [201, '10.0.3.200']);
  } finally {
    await r.close();
  }
});

test('a restart on the same state dir: bindings, CoAs and a migration in flight come back, no switch is sent a single flow or group mod, and the migration completes', async () => {
  const stateDir = tempDir();
  const first = await migrationRig(60_000, { stateDir });
  let tables: Rig['tables'];
  let inFlightId: string;
  try {
    const moved = await first.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal((await first.call('POST', `/api/migrations/${moved.body.id as string}/complete`, {})).status, 200);
    await until(() => first.app.migration.migration(moved.body.id as string)!.timeline.some((s) => s.step === 'old entries removed'), 'h11 moved');
    const prepared = await first.call('POST', '/api/migrations', { hoa: H12, switch: 'acc3', port: 6 });
    assert.equal(prepared.status, 201);
    inFlightId = prepared.body.id as string;
    await first.app.settled();
    tables = first.tables;
  } finally {
    await first.close();
  }
  const before = new Map([...tables].map(([n, t]) => [n, { log: t.log.length, held: held(t) }]));
  assert.ok(before.get('acc3')!.held.flows.length > 0 && before.get('acc1')!.held.groups.length > 0, 'the migrations hold entries and groups');

  const second = await migrationRig(60_000, { stateDir, tables });
  try {
    for (const [name, t] of tables) {
      const mods = t.log.slice(before.get(name)!.log).filter((l) => l !== 'barrier');
      assert.deepEqual(mods, [], `${name}: no flow or group rewritten after the restart`);
      assert.deepEqual(held(t), before.get(name)!.held);
    }
    const b = second.app.migration.bindings.get(H11)!;
    assert.deepEqual([b.state, b.switch, b.port, b.coa], ['active', 'acc3', 5, '10.0.3.200']);
    assert.equal(second.app.migration.coaFree('net3'), 0, 'both CoAs held again: h11\'s and the one of h12\'s migration in flight');
    const h11 = second.app.topology.hostByIp(H11)!;
    assert.deepEqual([h11.switch, h11.port], ['acc3', 5], 'the VM is where its binding says');
    assert.deepEqual([...second.app.migration.bindings.groupIds().keys()], [H12], 'a group id for the migration in flight only');
    const resumed = second.app.migration.migration(inFlightId)!;
    assert.deepEqual([resumed.status, resumed.timeline.map((s) => s.step)], ['preparing', ['requested', 'found after a restart']]);
    const done = await second.call('POST', `/api/migrations/${inFlightId}/complete`, {});
    assert.deepEqual([done.status, done.body.status], [200, 'completed']);
    assert.equal(second.app.migration.bindings.get(H12)?.state, 'active');
    const next = await second.call('POST', '/api/migrations', { hoa: H11, switch: 'acc2', port: 5 });
    assert.equal(next.status, 201);
    assert.ok(Number(next.body.id) > Number(inFlightId), 'a new id, never one handed out before the restart');
  } finally {
    await second.close();
  }
});

test('a migration in flight whose deadline passed while the controller was down is rolled back at start: no binding, its CoA free, its entries removed', async () => {
  const stateDir = tempDir();
  const first = await migrationRig(60_000, { stateDir });
  let tables: Rig['tables'];
  try {
    assert.equal((await first.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 })).status, 201);
    await first.app.settled();
    tables = first.tables;
  } finally {
    await first.close();
  }
  const db = openStateDatabase(stateDir);
  db.prepare('UPDATE migrations_in_flight SET deadline = 0').run();
  db.close();
  const second = await migrationRig(60_000, { stateDir, tables });
  try {
    await until(() => second.app.migration.migrations()[0]?.status === 'rolled-back', 'the expired migration rolled back');
    await second.app.settled();
    assert.deepEqual([second.app.migration.bindings.all(), second.app.migration.coaFree('net3')], [[], 2]);
    for (const [name, t] of tables) assert.deepEqual(held(t), { flows: [], groups: [] }, `${name}: nothing of it left`);
    const again = new SqliteBindingStore(second.app.state!);
    assert.deepEqual([again.all(), again.inFlight(), again.groupIds().size], [[], [], 0], 'nor in the file');
  } finally {
    await second.close();
  }
});

test('the state file\'s check on a binding\'s mode names exactly the modes there are (a new mode needs a new schema step, or it could not be stored)', () => {
  const checks = SCHEMA_STEPS.flatMap((step) => [...step.matchAll(/mode IN \(([^)]*)\)/g)].map((m) => m[1]!.split(',').map((x) => x.trim().replace(/'/g, ''))));
  assert.ok(checks.length > 0, 'a check on the mode');
  assert.deepEqual(checks.at(-1), [...MIGRATION_MODES]);
});

test('resting CoAs: set, replaced and removed by CoA, copies out; a reopened file has them; the in-memory store keeps them alike', () => {
  const dir = tempDir();
  const check = (store: InMemoryBindingStore | SqliteBindingStore): void => {
    store.setResting('10.0.3.200', { subnet: 'net3', until: 1_000 });
    store.transaction(() => {
      store.setResting('10.0.3.201', { subnet: 'net3', until: 2_000 });
      store.setResting('10.0.4.200', { subnet: 'net4', until: 3_000 });
    });
    store.setResting('10.0.3.200', { subnet: 'net3', until: 4_000 });
    store.setResting('10.0.4.200', undefined);
    assert.deepEqual([...store.resting()].sort(), [['10.0.3.200', { subnet: 'net3', until: 4_000 }], ['10.0.3.201', { subnet: 'net3', until: 2_000 }]]);
    store.resting().get('10.0.3.200')!.until = 0;
    assert.equal(store.resting().get('10.0.3.200')!.until, 4_000, 'a copy');
    assert.deepEqual(['10.0.3.200', '10.0.3.201', '10.0.4.200'].map((c) => store.isResting(c)), [true, true, false], 'a lookup agrees');
  };
  const db = openStateDatabase(dir);
  check(new SqliteBindingStore(db));
  db.close();
  const again = openStateDatabase(dir);
  assert.deepEqual([...new SqliteBindingStore(again).resting()].sort(), [['10.0.3.200', { subnet: 'net3', until: 4_000 }], ['10.0.3.201', { subnet: 'net3', until: 2_000 }]]);
  again.close();
  check(new InMemoryBindingStore());
});

test('finished migrations: the store keeps the last `keep` (by id, the oldest goes first), a record kept again is replaced in place, and a reopened file has them; the in-memory store keeps them alike', () => {
  const dir = tempDir();
  const done = (id: string, status: 'completed' | 'cancelled', steps = 1): InFlight['record'] => ({ ...flight(H11).record, id, status, timeline: Array.from({ length: steps }, (_, i) => ({ step: `step ${i}`, at: i })) });
  const check = (store: InMemoryBindingStore | SqliteBindingStore): void => {
    store.keepFinished(done('9', 'completed'), 3);
    store.keepFinished(done('10', 'cancelled'), 3);
    store.keepFinished(done('11', 'completed'), 3);
    store.keepFinished(done('9', 'completed', 3), 3);
    assert.deepEqual(store.finished().map((r) => [r.id, r.timeline.length]), [['9', 3], ['10', 1], ['11', 1]], 'oldest first; 9 kept again with its longer timeline');
    store.keepFinished(done('12', 'completed'), 3);
    assert.deepEqual(store.finished().map((r) => r.id), ['10', '11', '12'], '9 (the oldest) went: by number, not by text (10 < 9 as text)');
    const copy = store.finished()[0]!;
    copy.status = 'failed';
    assert.equal(store.finished()[0]!.status, 'cancelled', 'a copy: the caller cannot change what is kept');
  };
  const db = openStateDatabase(dir);
  check(new SqliteBindingStore(db));
  db.close();
  const again = openStateDatabase(dir);
  assert.deepEqual(new SqliteBindingStore(again).finished().map((r) => [r.id, r.status, r.from.coa]), [['10', 'cancelled', undefined], ['11', 'completed', undefined], ['12', 'completed', undefined]]);
  again.close();
  check(new InMemoryBindingStore());
});
