import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lostPings, pingReplies } from '../../lab/ping-log.js';

const line = (seq: number, at: number): string => `[${at.toFixed(6)}] 64 bytes from 10.0.1.10: icmp_seq=${seq} ttl=62 time=0.1 ms`;

test('ping log: a gap is lost; the one request in flight when ping was interrupted is not; sequence numbers unwrap past 65535', () => {
  const all = [1, 2, 3, 4].map((s) => line(s, 1000 + s / 100)).join('\n');
  assert.equal(lostPings(all, 4), 0);
  assert.equal(lostPings(all, 5), 0, 'seq 5 was in flight at the SIGINT');
  assert.equal(lostPings(all, 6), 2, 'two at the end are a loss');
  const gap = [1, 2, 5, 6].map((s) => line(s, 1000 + s / 100)).join('\n');
  assert.equal(lostPings(gap, 6), 2);
  const wrapped = [65534, 65535, 0, 1].map((s, i) => line(s, 1000 + i / 100)).join('\n');
  assert.deepEqual(pingReplies(wrapped).map((r) => r.seq), [65534, 65535, 65536, 65537]);
});
