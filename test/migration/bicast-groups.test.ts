import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BicastGroups } from '../../src/migration/bicast-groups.js';

test('bicast groups: a pair of ids each, the same pair when asked again, round the range, never the pair just freed; none when all are in use', () => {
  const g = new BicastGroups({ min: 100, max: 105 });
  assert.deepEqual([g.take('a'), g.take('a'), g.take('b')], [100, 100, 102]);
  g.drop('a');
  assert.equal(g.has('a'), false);
  assert.equal(g.take('c'), 104, 'the cursor goes on: 100 was just freed');
  assert.equal(g.take('d'), 100, 'round the range to the first free pair');
  assert.equal(g.take('e'), undefined, 'three pairs, three in use');
  g.drop('nobody');
  g.drop('b');
  assert.equal(g.take('e'), 102);
  g.hold('f', 200);
  assert.deepEqual([g.get('f'), g.get('b')], [200, undefined]);
});
