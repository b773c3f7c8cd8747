import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/log/logger.js';

const MESSAGE = Symbol.for('message');

/** The line a logger would write for one entry, through its own format (no transport involved). */
function line(format: 'json', entry: Record<string, unknown>): string {
  const logger = createLogger('debug', format);
  const info = logger.format.transform({ level: 'info', ...entry } as never) as unknown as Record<symbol, string>;
  logger.close();
  return info[MESSAGE]!;
}

test('json: one object a line, with a timestamp, and bigints as strings', () => {
  const parsed = JSON.parse(line('json', { message: 'switch connected', dpid: '00000000000000a1', cookie: 0x5356000200000000n })) as Record<string, unknown>;
  assert.deepEqual({ ...parsed, timestamp: typeof parsed.timestamp }, { level: 'info', message: 'switch connected', dpid: '00000000000000a1', cookie: '6004987161735069696', timestamp: 'string' });
  assert.match(String(parsed.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('the level filters', () => {
  const logger = createLogger('warn', 'json');
  assert.equal(logger.isLevelEnabled('info'), false);
  assert.equal(logger.isLevelEnabled('warn'), true);
  logger.close();
});
