import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BicastGroups, IDS_PER_MIGRATION } from '../../src/migration/bicast-groups.js';

test('bicast groups: four ids each (an IPv4 and an IPv6 pair), the same ids when asked again, round the range, never the ids just freed; none when all are in use', () => {
  assert.equal(IDS_PER_MIGRATION, 4);
  const g = new BicastGroups({ min: 100, max: 111 });
  assert.deepEqual([g.take('a'), g.take('a'), g.take('b')], [100, 100, 104]);
  g.drop('a');
  assert.equal(g.has('a'), false);
  assert.equal(g.take('c'), 108, 'the cursor goes on: 100 was just freed');
  assert.equal(g.take('d'), 100, 'round the range to the first free ids');
  assert.equal(g.take('e'), undefined, 'room for three, three in use');
  g.drop('nobody');
  g.drop('b');
  assert.equal(g.take('e'), 104);
  g.hold('f', 200);
  assert.deepEqual([g.get('f'), g.get('b')], [200, undefined]);
});

test('bicast groups: a range that is not a multiple of four leaves its tail unused, never hands out ids past its end', () => {
  const g = new BicastGroups({ min: 0, max: 9 });
  assert.deepEqual([g.take('a'), g.take('b'), g.take('c')], [0, 4, undefined], 'ids 8 and 9 are no whole set of four');
});
