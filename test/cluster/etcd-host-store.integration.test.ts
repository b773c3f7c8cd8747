import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { Subject } from 'rxjs';
import { etcdForTheseTests } from '../../lab/etcd.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { until } from '../../lab/wait.js';
import type { WriterTerm } from '../../src/cluster/etcd-binding-store.js';
import { EtcdHostStore, MAX_PENDING_HOSTS } from '../../src/cluster/etcd-host-store.js';
import { HostPolicy } from '../../src/topology/host-policy.js';
import { DEFAULT_HOST_LIMITS, HostTracker, type HostLimits } from '../../src/topology/host-tracker.js';

/**
 * Learned hosts shared through a real etcd (three members on loopback): written by the master
 * of the host's switch alone, in a transaction guarded by that mastership; learned by every
 * other member from its watch; read whole by a member that starts later.
 */

const etcd = etcdForTheseTests();
const client = (): Etcd3 => etcd.cluster.client();

/** A member `id` of `prefix` that masters the switches `masters` holds for it (as the election would say). */
function member(prefix: string, id: string, masters: Map<string, WriterTerm>, refreshMs = 60_000, limits: HostLimits = DEFAULT_HOST_LIMITS) {
  const { logger, lines } = memoryLogger();
  const mastered = new Subject<string>();
  const hosts = new EtcdHostStore(new HostTracker(new HostPolicy(undefined), limits), client(), prefix, id, (name) => (masters.get(name)?.member === id ? masters.get(name) : undefined), logger, refreshMs, mastered);
  return { hosts, lines, mastered };
}

/** The key the election writes for a switch: its mod revision is the term. */
async function claim(prefix: string, sw: string, id: string): Promise<WriterTerm> {
  const key = `${prefix}masters/${sw}`;
  const res = await etcd.admin.put(key).value(id).exec();
  return { key, member: id, term: BigInt(res.header.revision) };
}

const stored = async (prefix: string, mac: string): Promise<Record<string, unknown> | undefined> => {
  const text = await etcd.admin.get(`${prefix}hosts/${mac}`).string();
  return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
};

const X = '02:00:00:00:00:0a';
const Y = '02:00:00:00:00:0b';

test('etcd hosts: what a switch\'s master learns there reaches every member; a member that does not master the switch writes nothing; a later member reads them all', async () => {
  const prefix = `/test-${process.pid}-h1/`;
  const masters = new Map([['acc2', await claim(prefix, 'acc2', 'a')]]);
  const a = member(prefix, 'a', masters);
  const b = member(prefix, 'b', masters);
  await a.hosts.start();
  await b.hosts.start();
  try {
    a.hosts.learn(X, undefined, { switch: 'acc2', port: 7 });
    await until(() => b.hosts.byMac(X)?.port === 7, 'b learns X where a saw it', 5000, 20);
    assert.deepEqual({ ...(await stored(prefix, X)), lastSeen: 0 }, { switch: 'acc2', port: 7, lastSeen: 0, by: 'a' });
    assert.equal(b.hosts.byMac(X)?.seen, true);

    // b does not master acc2: what it learns there (it gets no packet-in from it in a cluster) stays its own.
    b.hosts.learn(Y, undefined, { switch: 'acc2', port: 8 });
    await b.hosts.flush();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await stored(prefix, Y), undefined, 'nothing written by a member that is not the switch\'s master');
    assert.equal(a.hosts.byMac(Y), undefined);

    // A move: b follows; a's own write coming back by watch does not move it back.
    a.hosts.learn(X, undefined, { switch: 'acc2', port: 9 });
    a.hosts.learn(X, undefined, { switch: 'acc2', port: 10 });
    await until(() => b.hosts.byMac(X)?.port === 10, 'b follows the move', 5000, 20);
    await a.hosts.flush();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.hosts.byMac(X)?.port, 10);
    assert.equal((await stored(prefix, X))?.port, 10);

    // A member started now learns what etcd holds.
    const c = member(prefix, 'c', masters);
    await c.hosts.start();
    try {
      assert.equal(c.hosts.byMac(X)?.port, 10);
    } finally {
      c.hosts.stop();
    }

    // Gone at a's switch: gone everywhere.
    a.hosts.forget(X, 'test');
    await until(() => b.hosts.byMac(X) === undefined, 'b forgets X', 5000, 20);
    assert.equal(await stored(prefix, X), undefined);
  } finally {
    a.hosts.stop();
    b.hosts.stop();
  }
});

test('etcd hosts: a master that lost its switch writes nothing more about the hosts there', async () => {
  const prefix = `/test-${process.pid}-h2/`;
  const masters = new Map([['acc2', await claim(prefix, 'acc2', 'a')]]);
  const a = member(prefix, 'a', masters);
  await a.hosts.start();
  try {
    // The election gave acc2 to b (a newer revision); a has not heard yet and still thinks it masters it.
    await claim(prefix, 'acc2', 'b');
    a.hosts.learn(X, undefined, { switch: 'acc2', port: 7 });
    await a.hosts.flush();
    assert.equal(await stored(prefix, X), undefined);
    assert.equal(a.hosts.failedWrites, 1);
  } finally {
    a.hosts.stop();
  }
});

test('etcd hosts: a host still talking is written again (refreshMs) so that the other members, which age hosts from when it was written, keep it', async () => {
  const prefix = `/test-${process.pid}-h3/`;
  const masters = new Map([['acc2', await claim(prefix, 'acc2', 'a')]]);
  const a = member(prefix, 'a', masters, 200);
  const b = member(prefix, 'b', masters, 200);
  await a.hosts.start();
  await b.hosts.start();
  try {
    a.hosts.learn(X, undefined, { switch: 'acc2', port: 7 });
    await until(() => b.hosts.byMac(X) !== undefined, 'b learns X', 5000, 20);
    const first = Number((await stored(prefix, X))?.lastSeen);
    // Traffic from X reaches a again (learning the same place refreshes lastSeen, and changes nothing else).
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(a.hosts.learn(X, undefined, { switch: 'acc2', port: 7 }), undefined);
    await until(async () => Number((await stored(prefix, X))?.lastSeen) > first, 'a writes X again with its new lastSeen', 5000, 20);
    await until(() => (b.hosts.record(X)?.lastSeen ?? 0) > first, 'b keeps X from the new time', 5000, 20);
  } finally {
    a.hosts.stop();
    b.hosts.stop();
  }
});

test(`etcd hosts: at most ${MAX_PENDING_HOSTS} hosts wait for etcd; past that a change is dropped and said`, async () => {
  const prefix = `/test-${process.pid}-h4/`;
  const masters = new Map([['acc2', await claim(prefix, 'acc2', 'a')]]);
  const a = member(prefix, 'a', masters, 60_000, { ...DEFAULT_HOST_LIMITS, total: MAX_PENDING_HOSTS + 10, perPort: MAX_PENDING_HOSTS + 10 });
  await a.hosts.start();
  try {
    // Learned in one turn of the event loop: nothing is committed before the last one is queued.
    const mac = (i: number): string => `02:01:${[16, 8, 0].map((shift) => ((i >> shift) & 0xff).toString(16).padStart(2, '0')).join(':')}:00`;
    for (let i = 0; i <= MAX_PENDING_HOSTS; i++) a.hosts.learn(mac(i), undefined, { switch: 'acc2', port: 7 });
    assert.ok(a.lines.some((l) => String(l.message).includes('a host change is dropped')), 'the dropped change is logged');
    await a.hosts.flush();
    const written = await etcd.admin.getAll().prefix(`${prefix}hosts/`).count();
    assert.equal(written, MAX_PENDING_HOSTS, 'every host queued within the bound is written, the one past it is not');
  } finally {
    a.hosts.stop();
  }
});

test('etcd hosts: a member that becomes a switch\'s master writes every host it knows there (one learned before anybody mastered it, when every member heard its packet-ins, was written by nobody)', async () => {
  const prefix = `/test-${process.pid}-h5/`;
  const masters = new Map<string, WriterTerm>();
  const a = member(prefix, 'a', masters);
  const b = member(prefix, 'b', masters);
  await a.hosts.start();
  await b.hosts.start();
  try {
    a.hosts.learn(X, '10.0.2.77', { switch: 'acc2', port: 7 });
    await a.hosts.flush();
    assert.equal(await stored(prefix, X), undefined, 'nobody masters acc2: nothing written');
    masters.set('acc2', await claim(prefix, 'acc2', 'a'));
    a.mastered.next('acc2');
    await until(() => b.hosts.byMac(X)?.ip === '10.0.2.77', 'b learns X once a masters acc2', 5000, 20);
    assert.deepEqual({ ...(await stored(prefix, X)), lastSeen: 0 }, { ip: '10.0.2.77', switch: 'acc2', port: 7, lastSeen: 0, by: 'a' });
  } finally {
    a.hosts.stop();
    b.hosts.stop();
  }
});
