import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axisScale } from '../../bench/lib/report.js';

test('a chart axis: linear from 0 with round ticks past the largest value; logarithmic with a tick a decade when the values are more than 20 times apart', () => {
  const linear = axisScale([12, 73], 400);
  assert.equal(linear.log, false);
  assert.deepEqual(linear.ticks, [0, 20, 40, 60, 80]);
  assert.equal(linear.at(80), 400);
  assert.equal(linear.at(40), 200);
  const log = axisScale([2_000, 100_000], 400);
  assert.equal(log.log, true);
  assert.deepEqual(log.ticks, [1_000, 10_000, 100_000]);
  assert.equal(log.at(100_000), 400);
  assert.equal(log.at(10_000), 200);
  assert.ok(log.at(2_000) > 50, 'the small bar is visible');
  assert.equal(log.at(0), 0);
  assert.equal(axisScale([5, 5], 100).log, false, 'equal values');
});
