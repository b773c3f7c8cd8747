import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitedLog } from '../../src/log/rate-limited.js';
import { memoryLogger } from '../../lab/memory-logger.js';

const rig = (burst = 3, windowMs = 1000, maxKeys = 4) => {
  let now = 10_000;
  const { logger, lines } = memoryLogger();
  const log = new RateLimitedLog(logger, burst, windowMs, maxKeys, () => now);
  return { log, lines, advance: (ms: number) => (now += ms) };
};

test('the first `burst` lines of a key are written, the rest counted and summarised when the window ends', () => {
  const { log, lines, advance } = rig();
  const written = Array.from({ length: 10 }, (_, i) => log.write('warn', 'k', 'refused', { i }));
  assert.deepEqual(written, [true, true, true, false, false, false, false, false, false, false]);
  assert.deepEqual(lines.map((l) => [l.level, l.message, l.i]), [['warn', 'refused', 0], ['warn', 'refused', 1], ['warn', 'refused', 2]]);
  advance(999);
  assert.equal(log.write('warn', 'k', 'refused', { i: 10 }), false, 'still inside the window');
  advance(1);
  assert.equal(log.write('warn', 'k', 'refused', { i: 11 }), true, 'a new window');
  assert.deepEqual(lines.slice(3).map((l) => [l.level, l.message, l.suppressed, l.key, l.windowMs]), [
    ['warn', 'refused (8 more like this were not logged)', 8, 'k', 1000],
    ['warn', 'refused', undefined, undefined, undefined],
  ]);
});

test('keys are counted apart; a window with nothing suppressed ends silently', () => {
  const { log, lines, advance } = rig(1);
  log.write('info', 'a', 'A', {});
  log.write('info', 'b', 'B', {});
  log.write('info', 'a', 'A', {});
  advance(1000);
  log.write('info', 'b', 'B', {});
  log.flushAll();
  assert.deepEqual(lines.map((l) => l.message), ['A', 'B', 'B', 'A (1 more like this were not logged)']);
});

test('the table of keys is bounded: when full, pending counts are written and the table starts over', () => {
  const { log, lines } = rig(1, 1000, 2);
  log.write('warn', 'a', 'A', {});
  log.write('warn', 'a', 'A', {});
  log.write('warn', 'b', 'B', {});
  log.write('warn', 'c', 'C', {});
  assert.deepEqual(lines.map((l) => l.message), ['A', 'B', 'A (1 more like this were not logged)', 'C']);
  // a was forgotten with the table: its next line is written again.
  assert.equal(log.write('warn', 'a', 'A', {}), true);
});
