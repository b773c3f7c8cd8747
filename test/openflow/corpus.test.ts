import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { decodeMessage, encodeMessage } from '../../src/openflow/index.js';
import { CORPUS, NOT_IN_OVS } from '../../lab/openflow-corpus.js';

/**
 * The ofp-print corpus without ovs-ofctl (so it runs in make test-unit, and under mutation):
 * every message re-encodes byte for byte after a decode, and the whole corpus encodes to the
 * bytes ovs-ofctl accepted when this digest was taken (a change of any byte shows here first;
 * re-check with the oracle test, then update the digest).
 */
test('every corpus message decodes and re-encodes to the same bytes', () => {
  for (const m of [...CORPUS.map((e) => e.message), ...NOT_IN_OVS]) {
    const bytes = encodeMessage(m);
    const again = decodeMessage(bytes);
    assert.equal(again.type, m.type);
    assert.deepEqual(encodeMessage(again), bytes, JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 200));
  }
});

test('the corpus encodes to the bytes ovs-ofctl ofp-print checked', () => {
  const digest = createHash('sha256');
  for (const e of CORPUS) digest.update(encodeMessage(e.message));
  assert.equal(digest.digest('hex'), CORPUS_DIGEST);
});

const CORPUS_DIGEST = 'ec5ff3443ea5a0f9169abd6603ba26d51434008970a76088aa920edd992b42b0';
