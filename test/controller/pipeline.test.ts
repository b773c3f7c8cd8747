import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COOKIE_PREFIX, COOKIE_PREFIX_MASK, GROUP_ID_BASE, GROUP_ID_LIMIT, PIPELINE, PROCESSOR_PRIORITY, type Range } from '../../src/controller/pipeline.js';

const slots = Object.entries(PIPELINE);
const overlap = (a: Range, b: Range): boolean => a.min <= b.max && b.min <= a.max;

test('pipeline: no two planners share a priority band', () => {
  for (const [i, [na, a]] of slots.entries())
    for (const [nb, b] of slots.slice(i + 1))
      for (const ra of a.bands) for (const rb of b.bands) assert.ok(!overlap(ra, rb), `${na} ${ra.min}-${ra.max} overlaps ${nb} ${rb.min}-${rb.max}`);
});

test('pipeline: every named priority lies in its planner\'s band, within 0..65535', () => {
  for (const [name, s] of slots) {
    for (const [purpose, p] of Object.entries(s.priority)) {
      assert.ok(s.bands.some((r) => p >= r.min && p <= r.max), `${name}.${purpose} = ${p} is outside its bands`);
      assert.ok(Number.isInteger(p) && p >= 0 && p <= 0xffff, `${name}.${purpose} = ${p}`);
    }
  }
});

test('pipeline: the migration band outranks every fabric priority (NAT and proxy ARP must win over host routes)', () => {
  const fabricTop = Math.max(...PIPELINE.fabric.bands.map((r) => r.max));
  assert.ok(PIPELINE.migration.bands.every((r) => r.min > fabricTop));
  assert.ok(PIPELINE.discovery.priority.lldp > Math.max(...PIPELINE.migration.bands.map((r) => r.max)), 'LLDP stays above all');
});

test('pipeline: group ranges are apart and inside the range the reconciler owns', () => {
  const ranges = slots.flatMap(([n, s]) => (s.groups ? [[n, s.groups] as const] : []));
  assert.ok(ranges.length >= 2);
  for (const [i, [na, a]] of ranges.entries()) {
    assert.ok(a.min >= GROUP_ID_BASE && a.max <= GROUP_ID_LIMIT && a.min <= a.max, `${na} outside the SV range`);
    for (const [nb, b] of ranges.slice(i + 1)) assert.ok(!overlap(a, b), `${na} and ${nb} groups overlap`);
  }
});

test('pipeline: cookies are distinct, carry the SV prefix, and differ only in the owner', () => {
  const cookies = slots.map(([, s]) => s.cookie);
  assert.equal(new Set(cookies).size, cookies.length);
  for (const [, s] of slots) {
    assert.equal(s.cookie & COOKIE_PREFIX_MASK, COOKIE_PREFIX);
    assert.equal(s.cookie, 0x5356n << 48n | BigInt(s.owner) << 32n);
  }
  assert.equal(PIPELINE.fabric.cookie, 0x5356000200000000n);
});

test('pipeline: packet-in processors run topology, then the ARP proxy, then observers', () => {
  assert.ok(PROCESSOR_PRIORITY.topology < PROCESSOR_PRIORITY.arpProxy);
  assert.ok(PROCESSOR_PRIORITY.arpProxy < PROCESSOR_PRIORITY.observers);
});
