import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IKeyValue } from 'etcd3';
import { ClusterMirror, MIGRATION_DUTY } from '../../src/cluster/cluster-mirror.js';

/** What the election mirrors of etcd's keys, key by key, without etcd. */

const kv = (value: string, modRevision = '1', lease = '7'): IKeyValue => ({
  key: Buffer.from(''), value: Buffer.from(value), mod_revision: modRevision, create_revision: '1', version: '1', lease,
});

const SW = '0000000000030001';

test('members and the APIs they advertise; a malformed or non-http API is not kept', () => {
  const m = new ClusterMirror();
  m.apply('Put', 'members/m0', kv(JSON.stringify({ since: 'x', api: 'http://127.0.0.1:8080' })));
  m.apply('Put', 'members/m1', kv(JSON.stringify({ api: 'javascript:alert(1)' })));
  m.apply('Put', 'members/m2', kv('not json'));
  assert.deepEqual([...m.members].sort(), ['m0', 'm1', 'm2']);
  assert.equal(m.apiOf('m0'), 'http://127.0.0.1:8080');
  assert.equal(m.apiOf('m1'), undefined);
  assert.equal(m.apiOf('m2'), undefined);
  m.apply('Delete', 'members/m0', kv(''));
  assert.deepEqual([...m.members].sort(), ['m1', 'm2']);
  assert.equal(m.apiOf('m0'), undefined, 'a member gone takes its API along');
});

test('channels: what other live members reach, never this member\'s own, never the migration duty', () => {
  const m = new ClusterMirror();
  for (const id of ['m0', 'm1']) m.apply('Put', `members/${id}`, kv('{}'));
  m.apply('Put', `channels/${SW}/m0`, kv(''));
  assert.deepEqual([...m.reachedByOthers('m0')], [], 'only m0 reaches it');
  m.apply('Put', `channels/${SW}/m1`, kv(''));
  m.apply('Put', `channels/${MIGRATION_DUTY}/m1`, kv(''));
  assert.deepEqual([...m.reachedByOthers('m0')], [SW]);
  // A channel key of a member whose own key is gone (its lease expiring key by key) does not count.
  m.apply('Delete', 'members/m1', kv(''));
  assert.deepEqual([...m.reachedByOthers('m0')], []);
  m.apply('Put', 'members/m1', kv('{}'));
  m.apply('Delete', `channels/${SW}/m1`, kv(''));
  assert.deepEqual([...m.reachedByOthers('m0')], []);
});

test('placement: a switch goes to a live member with a channel to it; the duty to any live member', () => {
  const m = new ClusterMirror();
  for (const id of ['m0', 'm1', 'm2']) m.apply('Put', `members/${id}`, kv('{}'));
  m.apply('Put', `channels/${SW}/m2`, kv(''));
  for (const id of ['m0', 'm1', 'm2']) m.apply('Put', `channels/${MIGRATION_DUTY}/${id}`, kv(''));
  const placed = m.placement();
  assert.equal(placed.get(SW), 'm2', 'the only member with a channel');
  assert.ok(['m0', 'm1', 'm2'].includes(placed.get(MIGRATION_DUTY)!));
});

test('masters carry the generation (the key\'s mod revision) and the lease; applied revisions; keys of other shapes are ignored', () => {
  const m = new ClusterMirror();
  m.apply('Put', `masters/${SW}`, kv('m1', '42', 'abc'));
  assert.deepEqual(m.masters.get(SW), { member: 'm1', generation: 42n, lease: 'abc' });
  m.apply('Put', 'applied/m1', kv('17'));
  assert.equal(m.appliedBy('m1'), 17n);
  assert.equal(m.appliedBy('m2'), 0n, 'none said');
  for (const key of ['members', `masters/${SW}/extra`, `channels/${SW}`, 'state/bindings/10.0.1.10', 'hosts/02:00:00:00:00:01', `members/m9/x`]) m.apply('Put', key, kv('m9'));
  assert.deepEqual([...m.members], [], 'no member made up from other keys');
  assert.deepEqual([...m.masters.keys()], [SW]);
  assert.deepEqual([...m.reachedByOthers('m0')], []);
  m.apply('Delete', `masters/${SW}`, kv(''));
  m.apply('Delete', 'applied/m1', kv(''));
  assert.equal(m.masters.size, 0);
  assert.equal(m.appliedBy('m1'), 0n);
});
