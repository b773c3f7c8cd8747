import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { etcdForTheseTests } from '../../lab/etcd.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { until } from '../../lab/wait.js';
import { EtcdBindingStore, type WriterTerm } from '../../src/cluster/etcd-binding-store.js';
import type { Binding, BindingChange, InFlight } from '../../src/migration/binding-store.js';

/**
 * The migration state in a real etcd (three members on loopback): one writer guarded by its
 * term, every other member following by its watch.
 */

const etcd = etcdForTheseTests();
const client = (): Etcd3 => etcd.cluster.client();

function store(prefix: string) {
  const { logger, lines } = memoryLogger();
  const s = new EtcdBindingStore(client(), prefix, logger);
  const remote: string[] = [];
  const changes: BindingChange[] = [];
  s.remote$.subscribe((h) => remote.push(h));
  s.changes$.subscribe((c) => changes.push(c));
  return { s, lines, remote, changes };
}

type Member = ReturnType<typeof store>;

/** Two members of `prefix`, started; stopped after `body`, whatever it does. */
async function pair(prefix: string, body: (a: Member, b: Member) => Promise<void>): Promise<void> {
  const a = store(prefix);
  const b = store(prefix);
  try {
    await a.s.start();
    await b.s.start();
    await body(a, b);
  } finally {
    await a.s.stop();
    await b.s.stop();
  }
}

/** The leadership key as the election would claim it: its mod revision is the term. */
async function claim(prefix: string, member: string): Promise<WriterTerm> {
  const key = `${prefix}masters/migrations`;
  const res = await etcd.admin.put(key).value(member).exec();
  return { key, member, term: BigInt(res.header.revision) };
}

const binding = (hoa: string, coa: string): Binding => ({
  hoa, mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa,
  switch: 'acc3', port: 5, mode: 'optimized', state: 'active', createdAt: 1, updatedAt: 2,
});

const flight = (hoa: string, id: string): InFlight => ({
  record: { id, hoa, mac: '02:00:0a:00:01:0a', mode: 'optimized', trigger: 'orchestrated', from: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' }, to: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' }, status: 'preparing', timeline: [{ step: 'requested', at: 1 }] },
  coaWasHeld: false,
  deadline: 10_000,
});

test('etcd state: the leader\'s transaction lands in etcd as one, flush says when; a follower gets it by its watch, as changes and as HoAs to re-plan', async () => {
  const prefix = `/test-${process.pid}-s1/`;
  await pair(prefix, async (a, b) => {
    await a.s.lead(await claim(prefix, 'a'));
    let id = '';
    a.s.transaction(() => {
      id = a.s.takeMigrationId();
      a.s.put(binding('10.0.1.10', '10.0.3.200'));
      a.s.setGroupId('10.0.1.10', 7);
      a.s.setInFlight('10.0.1.10', flight('10.0.1.10', id));
    });
    assert.deepEqual(a.s.get('10.0.1.10'), binding('10.0.1.10', '10.0.3.200'), 'the leader reads its write at once');
    await a.s.flush();
    assert.ok(a.s.committedRevision > 0n);
    const stored = await etcd.admin.getAll().prefix(`${prefix}state/`).strings();
    assert.deepEqual(Object.keys(stored).sort(), ['bindings/10.0.1.10', 'flights/10.0.1.10', 'groups/10.0.1.10', 'meta/next-migration-id'].map((k) => `${prefix}state/${k}`));
    await until(() => b.s.get('10.0.1.10') !== undefined && b.s.inFlight().length === 1, 'the follower has it');
    assert.deepEqual(b.s.get('10.0.1.10'), binding('10.0.1.10', '10.0.3.200'));
    assert.deepEqual(b.s.groupIds(), new Map([['10.0.1.10', 7]]));
    assert.deepEqual(b.s.inFlight(), [flight('10.0.1.10', id)]);
    assert.ok(b.remote.includes('10.0.1.10'));
    assert.deepEqual(b.changes.map((c) => c.kind), ['set']);
    assert.equal(b.s.heldRevision, a.s.committedRevision, 'the follower holds the leader\'s commit: the revision it will say it applied');
    assert.deepEqual(a.remote, [], 'the leader\'s own writes are not "remote"');
    // A delete follows the same way.
    a.s.transaction(() => {
      a.s.delete('10.0.1.10');
      a.s.setGroupId('10.0.1.10', undefined);
      a.s.setInFlight('10.0.1.10', undefined);
    });
    await a.s.flush();
    await until(() => b.s.all().length === 0 && b.s.inFlight().length === 0 && b.s.groupIds().size === 0, 'the follower forgot it');
    assert.deepEqual(b.changes.map((c) => c.kind), ['set', 'deleted']);
    assert.throws(() => b.s.transaction(() => b.s.put(binding('10.0.1.11', '10.0.3.201'))), /not the migration leader/, 'a follower writes nothing');
  });
});

test('etcd state: a leader whose term is gone writes nothing more: flush rejects, etcd keeps what the new leader wrote, memory is made what etcd holds; migration ids never repeat across leaders', async () => {
  const prefix = `/test-${process.pid}-s2/`;
  await pair(prefix, async (a, b) => {
    const failed: Error[] = [];
    a.s.failed$.subscribe((e) => failed.push(e));
    await a.s.lead(await claim(prefix, 'a'));
    const first = a.s.takeMigrationId();
    a.s.put(binding('10.0.1.10', '10.0.3.200'));
    await a.s.flush();
    // The election moves the leadership to b (a's key replaced: a newer term).
    await b.s.lead(await claim(prefix, 'b'));
    const second = b.s.takeMigrationId();
    b.s.put(binding('10.0.1.10', '10.0.3.201'));
    await b.s.flush();
    // a does not know yet, and writes.
    a.s.put(binding('10.0.1.10', '10.0.3.222'));
    await assert.rejects(a.s.flush(), /no longer this member's/);
    assert.equal(failed.length, 1);
    assert.ok(a.lines.some((l) => l.level === 'error' && String(l.message).startsWith('a write of the migration state did not reach etcd')));
    assert.equal(JSON.parse((await etcd.admin.get(`${prefix}state/bindings/10.0.1.10`).string())!).coa, '10.0.3.201', 'etcd holds the new leader\'s write');
    await until(() => a.s.get('10.0.1.10')?.coa === '10.0.3.201', 'the old leader\'s memory made what etcd holds');
    assert.throws(() => a.s.put(binding('10.0.1.12', '10.0.3.202')), /did not reach etcd/, 'and it refuses every write until it leads again');
    assert.notEqual(first, second, 'a new leader goes on from the ids handed out before');
    await a.s.lead(await claim(prefix, 'a'));
    assert.ok(Number(a.s.takeMigrationId()) > Number(second));
  });
});

test('etcd state: 1,000 transactions queued at once are committed in order, batched (etcd takes at most 128 operations a transaction), none split', async () => {
  const prefix = `/test-${process.pid}-s3/`;
  await pair(prefix, async (a, b) => {
    await a.s.lead(await claim(prefix, 'a'));
    const before = (await etcd.admin.get(`${prefix}masters/migrations`).exec()).header.revision;
    for (let i = 0; i < 1000; i++) {
      const hoa = `10.1.${i >> 8}.${i & 255}`;
      a.s.transaction(() => {
        a.s.put(binding(hoa, '10.0.3.200'));
        a.s.setGroupId(hoa, i);
        a.s.setInFlight(hoa, flight(hoa, String(i)));
      });
    }
    await a.s.flush();
    const commits = Number(a.s.committedRevision - BigInt(before));
    assert.ok(commits < 100, `${commits} etcd transactions for 1,000`);
    assert.equal(Object.keys(await etcd.admin.getAll().prefix(`${prefix}state/bindings/`).keys()).length, 1000);
    await until(() => b.s.all().length === 1000 && b.s.groupIds().size === 1000 && b.s.inFlight().length === 1000, 'the follower has all of them');
  });
});

test('etcd state: a row that cannot be read is set aside with a warn naming it, the rest is in force', async () => {
  const prefix = `/test-${process.pid}-s4/`;
  await etcd.admin.put(`${prefix}state/bindings/10.0.1.10`).value('{"hoa": "10.0.1.10"').exec();
  await etcd.admin.put(`${prefix}state/bindings/10.0.1.11`).value(JSON.stringify({ ...binding('10.0.1.11', '10.0.3.201'), mode: 'teleport' })).exec();
  await etcd.admin.put(`${prefix}state/groups/10.0.1.12`).value('twelve').exec();
  await etcd.admin.put(`${prefix}state/bindings/10.0.1.13`).value(JSON.stringify(binding('10.0.1.13', '10.0.3.203'))).exec();
  const a = store(prefix);
  try {
    await a.s.start();
    assert.deepEqual(a.s.all().map((b) => b.hoa), ['10.0.1.13']);
    assert.deepEqual(a.s.unreadable.map((r) => [r.table, r.hoa]), [['bindings', '10.0.1.10'], ['bindings', '10.0.1.11'], ['groups', '10.0.1.12']]);
    assert.match(a.s.unreadable[0]!.why, /not JSON/);
    assert.match(a.s.unreadable[1]!.why, /mode "teleport"/);
    assert.equal(a.lines.filter((l) => l.level === 'warn' && l.message === 'stored row skipped').length, 3);
    // The same bad row written again: reported again, kept once (the list is bounded by the rows, and at most 1,024).
    await etcd.admin.put(`${prefix}state/groups/10.0.1.12`).value('still twelve').exec();
    await until(() => a.s.unreadable.some((r) => r.why.includes('still twelve')), 'the new text reported');
    assert.deepEqual(a.s.unreadable.map((r) => `${r.table} ${r.hoa}`), ['bindings 10.0.1.10', 'bindings 10.0.1.11', 'groups 10.0.1.12']);
  } finally {
    await a.s.stop();
  }
});

test('etcd state: a VM\'s arrival a follower saw reaches the leader (once, the key taken away); one reported while nobody led reaches the next leader', async () => {
  const prefix = `/test-${process.pid}-s5/`;
  await pair(prefix, async (a, b) => {
    const atA: string[] = [];
    const atB: string[] = [];
    a.s.arrivals$.subscribe((x) => atA.push(`${x.hoa} ${x.id}`));
    b.s.arrivals$.subscribe((x) => atB.push(`${x.hoa} ${x.id}`));
    // Nobody leads yet: the report waits in etcd.
    b.s.reportArrival('10.0.1.10', '3');
    await until(async () => (await etcd.admin.get(`${prefix}arrivals/10.0.1.10`).string()) !== null, 'the report in etcd');
    await a.s.lead(await claim(prefix, 'a'));
    await until(() => atA.length === 1, 'the new leader gets it');
    b.s.reportArrival('10.0.1.11', '4');
    await until(() => atA.length === 2, 'and the next one as it comes');
    assert.deepEqual([atA, atB], [['10.0.1.10 3', '10.0.1.11 4'], []], 'to the leader only');
    await until(async () => Object.keys(await etcd.admin.getAll().prefix(`${prefix}arrivals/`).keys()).length === 0, 'each report taken away once acted on');
  });
});

test('etcd state: the writes waiting for etcd are bounded: past 10,000 a transaction is refused whole (503 for the API), nothing of it in memory; the rest land', async () => {
  const prefix = `/test-${process.pid}-s6/`;
  await pair(prefix, async (a) => {
    await a.s.lead(await claim(prefix, 'a'));
    let refusedAt = -1;
    let why = '';
    // All in one turn of the event loop: nothing can commit meanwhile, so the queue only grows.
    for (let i = 0; i < 4000 && refusedAt < 0; i++) {
      const hoa = `10.2.${i >> 8}.${i & 255}`;
      try {
        a.s.transaction(() => {
          a.s.put(binding(hoa, '10.0.3.200'));
          a.s.setGroupId(hoa, i);
          a.s.setInFlight(hoa, flight(hoa, String(i)));
        });
      } catch (e) {
        refusedAt = i;
        why = (e as Error).message;
        assert.equal(a.s.get(hoa), undefined, 'nothing of the refused transaction in memory');
      }
    }
    assert.equal(refusedAt, Math.ceil(10_000 / 3), why);
    assert.match(why, /writes are waiting for etcd already/);
    await a.s.flush();
    assert.equal(Object.keys(await etcd.admin.getAll().prefix(`${prefix}state/bindings/`).keys()).length, refusedAt);
  });
});

test('etcd state: the leader keeps the last finished migrations in etcd (history/<id>, the oldest deleted past the bound, in the same transaction); a follower has them by its watch, for when it leads', async () => {
  const prefix = `/test-${process.pid}-s7/`;
  await pair(prefix, async (a, b) => {
    await a.s.lead(await claim(prefix, 'a'));
    const done = (id: string): InFlight['record'] => ({ ...flight('10.0.1.10', id).record, status: 'completed' });
    for (const id of ['8', '9', '10']) a.s.keepFinished(done(id), 2);
    // The same key twice in what is committed together (a record kept again as its timeline grows; etcd refuses a transaction naming a key twice): the last lands.
    a.s.keepFinished({ ...done('10'), reason: 'kept again' }, 2);
    await a.s.flush();
    assert.equal(JSON.parse((await etcd.admin.get(`${prefix}state/history/10`).string())!).reason, 'kept again');
    assert.deepEqual((await etcd.admin.getAll().prefix(`${prefix}state/history/`).keys()).sort(), [`${prefix}state/history/10`, `${prefix}state/history/9`]);
    await until(() => b.s.finished().map((r) => r.id).join() === '9,10', 'the follower has the last two', 5000, 20);
    assert.equal(b.s.finished()[1]!.status, 'completed');
    assert.deepEqual(b.remote, [], 'a finished migration changes no VM\'s plan: nothing to re-plan');
  });
});

test('etcd state: resting CoAs (resting/<coa>), written by the leader, reach a follower by its watch, for when it leads; an unreadable one is set aside with a warn', async () => {
  const prefix = `/test-${process.pid}-s8/`;
  await pair(prefix, async (a, b) => {
    await a.s.lead(await claim(prefix, 'a'));
    a.s.setResting('10.0.3.200', { subnet: 'net3', until: 4_000 });
    a.s.transaction(() => a.s.setResting('10.0.3.201', { subnet: 'net3', until: 5_000 }));
    a.s.setResting('10.0.3.201', undefined);
    await a.s.flush();
    assert.deepEqual(JSON.parse((await etcd.admin.get(`${prefix}state/resting/10.0.3.200`).string())!), { subnet: 'net3', until: 4_000 });
    assert.equal(await etcd.admin.get(`${prefix}state/resting/10.0.3.201`).string(), null);
    await until(() => b.s.resting().get('10.0.3.200')?.until === 4_000, 'the follower has the rest', 5000, 20);
    assert.equal(b.s.resting().size, 1);
    assert.deepEqual(b.remote, [], 'a resting CoA changes no VM\'s plan');
    await etcd.admin.put(`${prefix}state/resting/10.0.3.202`).value('{"subnet":"net3"}');
    await until(() => b.s.unreadable.some((r) => r.table === 'resting'), 'set aside', 5000, 20);
    assert.equal(b.s.resting().has('10.0.3.202'), false);
  });
});
