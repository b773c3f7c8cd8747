import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestPace } from '../../src/api/request-pace.js';

const limits = { burst: 3, perSecond: 10, clients: 2 };

test('a client\'s requests: its burst at once, then each one a turn later than the one before, and turns back at the rate', () => {
  let now = 0;
  const pace = new RequestPace(limits, () => now);
  assert.deepEqual([pace.turn('a'), pace.turn('a'), pace.turn('a')], [0, 0, 0], 'the burst');
  assert.deepEqual([pace.turn('a'), pace.turn('a'), pace.turn('a')], [100, 200, 300], 'queued: one turn each 100 ms at 10/s');
  assert.equal(pace.turn('b'), 0, 'another client has turns of its own');
  now = 300;
  assert.equal(pace.turn('a'), 100, 'after 300 ms the three queued had their turns; the next waits one');
  now = 10_000;
  assert.deepEqual([pace.turn('a'), pace.turn('a'), pace.turn('a'), pace.turn('a')], [0, 0, 0, 100], 'never more than the burst, however long it waited');
});

test('at most `clients` addresses are paced: the one paced longest ago is forgotten and starts again with its burst', () => {
  const pace = new RequestPace(limits, () => 0);
  for (let i = 0; i < 5; i++) pace.turn('a');
  pace.turn('b');
  pace.turn('c');
  assert.equal(pace.turn('a'), 0, 'a was forgotten (the oldest)');
});
