import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStateDatabase } from '../../src/state/database.js';
import { DurableHostStore } from '../../src/state/durable-host-store.js';
import { HostPolicy } from '../../src/topology/host-policy.js';
import { DEFAULT_HOST_LIMITS, HostTracker } from '../../src/topology/host-tracker.js';
import { loadTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** Learned hosts in the state file: what is written, what comes back, what a failed write does. */

const topology = loadTopology('topologies/dc-small.yaml');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function store(dir = mkdtempSync(join(tmpdir(), 'svcswitch-hosts-'))) {
  dirs.push(dir);
  const db = openStateDatabase(dir);
  const { logger, lines } = memoryLogger();
  const hosts = new DurableHostStore(new HostTracker(new HostPolicy(topology), { ...DEFAULT_HOST_LIMITS, graceMs: 10 }), db, logger);
  const rows = (): unknown[] => db.prepare('SELECT mac, ip, switch, port FROM hosts ORDER BY mac').all();
  return { dir, db, hosts, rows, lines };
}

const NEW = '02:00:0a:00:01:63';

test('every host traffic was seen from is written where it was seen, moves and address changes too; one the file declares but nobody heard is not; a host removed is deleted', async () => {
  const s = store();
  try {
    s.hosts.declare({ name: 'h11', mac: '02:00:0a:00:01:0a', ip: '10.0.1.10', switch: 'acc1', port: 3 });
    assert.deepEqual(s.rows(), [], 'declared, never seen: the file places it');
    assert.equal(s.hosts.learn(NEW, '10.0.1.99', { switch: 'acc1', port: 7 })?.kind, 'added');
    assert.deepEqual(s.rows(), [{ mac: NEW, ip: '10.0.1.99', switch: 'acc1', port: 7 }]);
    s.hosts.learn(NEW, '10.0.1.99', { switch: 'acc1', port: 8 });
    s.hosts.learn('02:00:0a:00:01:0a', '10.0.1.10', { switch: 'acc1', port: 3 });
    assert.deepEqual(s.rows(), [{ mac: NEW, ip: '10.0.1.99', switch: 'acc1', port: 8 }], 'the move; the declared host seen where the file puts it changes nothing');
    assert.equal(s.hosts.learn('02:00:0a:00:01:0a', '10.0.1.10', { switch: 'acc1', port: 5 })?.kind, 'refused', 'a declared host moves only by a migration');
    assert.deepEqual(s.rows(), [{ mac: NEW, ip: '10.0.1.99', switch: 'acc1', port: 8 }], 'a refusal writes nothing');
    s.hosts.roam('02:00:0a:00:01:0a', { switch: 'acc3', port: 5, ip: '10.0.1.10' });
    s.hosts.learn('02:00:0a:00:01:0a', '10.0.1.10', { switch: 'acc3', port: 5 });
    assert.deepEqual(s.rows(), [{ mac: '02:00:0a:00:01:0a', ip: '10.0.1.10', switch: 'acc3', port: 5 }, { mac: NEW, ip: '10.0.1.99', switch: 'acc1', port: 8 }], 'a declared host a migration moved is written');
    assert.deepEqual([s.hosts.byIp('10.0.1.99')?.port, s.hosts.byMac(NEW)?.switch, s.hosts.record(NEW)?.port, s.hosts.page(0, 10).length, s.hosts.all().length], [8, 'acc1', 8, 2, 2], 'reads are the tracker\'s');
    s.hosts.portGone({ switch: 'acc1', port: 8 }, 'port deleted');
    // After the tracker's grace period the host is removed, and its row with it.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(s.hosts.byMac(NEW), undefined);
    assert.deepEqual(s.rows(), [{ mac: '02:00:0a:00:01:0a', ip: '10.0.1.10', switch: 'acc3', port: 5 }]);
    assert.ok(s.hosts.version > 0);
  } finally {
    s.hosts.stop();
    s.db.close();
  }
});

test('restore: the hosts of the file learned again where they were last seen; one the policy now refuses is dropped from the file', () => {
  const first = store();
  first.hosts.learn(NEW, '10.0.1.99', { switch: 'acc1', port: 7 });
  first.hosts.stop();
  // A row the policy refuses: 10.0.1.98 at acc3 (another subnet's switch).
  first.db.prepare('INSERT INTO hosts VALUES (?, ?, ?, ?)').run('02:00:0a:00:01:62', '10.0.1.98', 'acc3', 4);
  first.db.close();
  const again = store(first.dir);
  try {
    const seen: string[] = [];
    again.hosts.changes$.subscribe((c) => seen.push(`${c.kind} ${c.host.mac}`));
    assert.equal(again.hosts.restore(), 1);
    assert.deepEqual([again.hosts.byMac(NEW)?.switch, again.hosts.byMac(NEW)?.port], ['acc1', 7]);
    assert.deepEqual(seen, [`added ${NEW}`]);
    assert.deepEqual(again.rows(), [{ mac: NEW, ip: '10.0.1.99', switch: 'acc1', port: 7 }], 'the refused row is gone');
    assert.equal(again.hosts.byMac('02:00:0a:00:01:62'), undefined);
  } finally {
    again.hosts.stop();
    again.db.close();
  }
});

test('a write that fails is logged at error, rate-limited, and learning goes on', () => {
  const s = store();
  try {
    s.db.pragma('query_only = ON');
    assert.equal(s.hosts.learn(NEW, '10.0.1.99', { switch: 'acc1', port: 7 })?.kind, 'added', 'learned all the same');
    for (let i = 0; i < 20; i++) s.hosts.learn(`02:00:0a:00:02:${(0x10 + i).toString(16)}`, `10.0.1.${120 + i}`, { switch: 'acc1', port: 9 });
    assert.equal(s.hosts.byMac(NEW)?.port, 7);
    const errors = s.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 5, 'at most a burst of 5 lines, however many writes fail');
    assert.match(String(errors[0]!.message), new RegExp(`^host ${NEW} not saved: attempt to write a readonly database`));
    s.db.pragma('query_only = OFF');
    assert.deepEqual(s.rows(), []);
  } finally {
    s.hosts.stop();
    s.db.close();
  }
});
