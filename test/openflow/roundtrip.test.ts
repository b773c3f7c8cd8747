import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/openflow/index.js';
import { message } from './arbitraries.js';
import { CORPUS, NOT_IN_OVS } from '../../lab/openflow-corpus.js';

/** Buffers compare by content; fast-check's Uint8Arrays became Buffers in the generator. */
const normalise = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));

test('decode(encode(m)) equals m for arbitrary messages of every family', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeMessage(m);
      assert.equal(bytes.readUInt16BE(2), bytes.length, 'header length');
      assert.equal(bytes.length % 8 === 0 || ![14, 15, 29].includes(m.type), true, 'flow, group and meter mods are 8-aligned');
      assert.deepEqual(normalise(decodeMessage(bytes)), normalise(m));
    }),
    { numRuns: 3000 },
  );
});

test('encode(decode(b)) equals b: re-encoding is byte-exact', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeMessage(m);
      assert.deepEqual(encodeMessage(decodeMessage(bytes)), bytes);
    }),
    { numRuns: 1000 },
  );
});

test('spec messages that OVS does not implement round-trip too', () => {
  for (const m of NOT_IN_OVS) {
    const bytes = encodeMessage(m);
    assert.deepEqual(encodeMessage(decodeMessage(bytes)), bytes);
  }
  assert.ok(CORPUS.length >= 100);
});
