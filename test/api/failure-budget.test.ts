import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureBudget } from '../../src/api/failure-budget.js';

const limits = { burst: 3, perSecond: 2, delayMs: 250, clients: 2 };

test('a client\'s failures: its burst at full speed, then each one late, and its budget back at the rate', () => {
  let now = 0;
  const b = new FailureBudget(limits, () => now);
  assert.deepEqual([b.fail('a'), b.fail('a'), b.fail('a'), b.fail('a')], [0, 0, 0, 250]);
  assert.equal(b.fail('b'), 0, 'another client has a budget of its own');
  now = 499;
  assert.equal(b.fail('a'), 250, 'less than one failure earned back in 499 ms at 2/s (a late one costs nothing)');
  now = 1000;
  assert.deepEqual([b.fail('a'), b.fail('a'), b.fail('a')], [0, 0, 250], 'two earned back in 1 s');
  now = 100_000;
  assert.deepEqual([b.fail('a'), b.fail('a'), b.fail('a'), b.fail('a')], [0, 0, 0, 250], 'never more than the burst, however long it waited');
});

test('at most `clients` addresses are tracked: the one that failed longest ago is forgotten', () => {
  const b = new FailureBudget(limits, () => 0);
  for (let i = 0; i < 4; i++) b.fail('a');
  b.fail('b');
  b.fail('c');
  assert.equal(b.tracked, 2);
  assert.equal(b.fail('a'), 0, 'a was forgotten (the oldest), so it starts with a full burst again');
  assert.equal(b.tracked, 2);
});
