import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axisScale, pct } from '../../bench/lib/report.js';

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

test('pct: the nearest rank from below, whatever the order; NaN for no values', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.deepEqual([pct(xs, 0), pct(xs, 50), pct(xs, 99), pct(xs, 100)], [1, 6, 10, 10]);
  assert.ok(Number.isNaN(pct([], 50)));
});
