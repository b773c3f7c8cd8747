import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/log/logger.js';

const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');
const ESC = String.fromCharCode(27);

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

/** The pretty line for one entry, colour codes removed. */
function prettyLine(entry: Record<string, unknown>): string {
  const logger = createLogger('debug', 'pretty');
  const info = logger.format.transform({ level: 'info', [LEVEL]: 'info', ...entry } as never) as unknown as Record<symbol, string>;
  logger.close();
  return info[MESSAGE]!.replaceAll(`${ESC}[32m`, '').replaceAll(`${ESC}[39m`, '');
}

test('pretty: time of day, level, message, then key=value fields (one-word strings bare, others quoted, the rest as JSON, bigints as digits); one line per event', () => {
  const text = prettyLine({ message: 'link confirmed by LLDP', link: 'acc1:1 <-> agg1:2', declared: true, ports: [1, 2], cookie: 5n, at: 'acc1:3' });
  assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} info link confirmed by LLDP link="acc1:1 <-> agg1:2" declared=true ports=\[1,2\] cookie=5 at=acc1:3$/);
  // What a tenant or a switch controls cannot fake a field or a line of its own.
  assert.match(prettyLine({ message: 'two\nlines', reason: 'x=1 level=error', name: 'a"b', nl: 'a\nb' }), / info two\\nlines reason="x=1 level=error" name="a\\"b" nl="a\\nb"$/);
  assert.match(prettyLine({ message: 'no fields' }), /^\d\d:\d\d:\d\d\.\d{3} info no fields$/, 'no trailing space without fields');
  assert.match(prettyLine({ message: 'nested', at: { switch: 'acc1', port: 3 } }), / nested at=\{"switch":"acc1","port":3\}$/);
});

test('pretty lines are coloured by level on a terminal, and never off one (a file, a pipe, NO_COLOR)', () => {
  const plain = createLogger('debug', 'pretty', false);
  const line = plain.format.transform({ level: 'warn', [LEVEL]: 'warn', message: 'careful' } as never) as unknown as Record<symbol, string>;
  plain.close();
  assert.ok(!line[MESSAGE]!.includes(ESC) && line[MESSAGE]!.endsWith(' warn careful'), 'no escape codes');
  const logger = createLogger('debug', 'pretty', true);
  const info = logger.format.transform({ level: 'warn', [LEVEL]: 'warn', message: 'careful' } as never) as unknown as Record<symbol, string>;
  logger.close();
  assert.ok(info[MESSAGE]!.endsWith(`${ESC}[33mwarn${ESC}[39m careful`), 'warn in yellow');
});

test('every level goes to stderr, so that stdout stays free for data', () => {
  const logger = createLogger('debug', 'json');
  const console = logger.transports[0] as unknown as { stderrLevels: Record<string, boolean> };
  assert.deepEqual(Object.keys(console.stderrLevels).sort(), ['debug', 'error', 'http', 'info', 'silly', 'verbose', 'warn']);
  assert.equal(logger.transports.length, 1);
  assert.equal(logger.level, 'debug');
  logger.close();
});
