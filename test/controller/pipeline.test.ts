import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Band, COOKIE_PREFIX, COOKIE_PREFIX_MASK, GROUP_ID_BASE, GROUP_ID_LIMIT, PIPELINE, PROCESSOR_PRIORITY, TABLE, type Range } from '../../src/controller/pipeline.js';

const slots = Object.entries(PIPELINE);
const overlap = (a: Range, b: Range): boolean => a.min <= b.max && b.min <= a.max;

test('pipeline: no two planners share a priority band', () => {
  for (const [i, [na, a]] of slots.entries())
    for (const [nb, b] of slots.slice(i + 1))
      for (const ra of a.bands) for (const rb of b.bands) assert.ok(ra.table !== rb.table || !overlap(ra, rb), `${na} ${ra.min}-${ra.max} overlaps ${nb} ${rb.min}-${rb.max} in table ${ra.table}`);
});

test('pipeline: every named priority lies in its planner\'s band, within 0..65535', () => {
  for (const [name, s] of slots) {
    for (const [purpose, p] of Object.entries(s.priority)) {
      assert.ok(s.bands.some((r) => p >= r.min && p <= r.max), `${name}.${purpose} = ${p} is outside its bands`);
      assert.ok(Number.isInteger(p) && p >= 0 && p <= 0xffff, `${name}.${purpose} = ${p}`);
    }
  }
});

test('pipeline: in forwarding, the migration band outranks every fabric priority (NAT and proxy ARP must win over host routes); in ingress, LLDP comes first, then the migration\'s admission, then port security', () => {
  const inTable = (s: { bands: readonly Band[] }, table: number) => s.bands.filter((b) => b.table === table);
  const fabricTop = Math.max(...inTable(PIPELINE.fabric, TABLE.forwarding).map((r) => r.max));
  assert.deepEqual(inTable(PIPELINE.fabric, TABLE.ingress), [], 'the fabric forwards only');
  assert.ok(inTable(PIPELINE.migration, TABLE.forwarding).every((r) => r.min > fabricTop));
  assert.ok(PIPELINE.discovery.bands.every((b) => b.table === TABLE.ingress), 'LLDP is read before port security');
  const ingressTop = Math.max(...[...PIPELINE.migration.bands, ...PIPELINE.portSecurity.bands].filter((b) => b.table === TABLE.ingress).map((r) => r.max));
  assert.ok(PIPELINE.discovery.priority.lldpDrop > ingressTop, 'LLDP stays above all of table 0');
  assert.ok(PIPELINE.migration.priority.admit > PIPELINE.portSecurity.priority.trusted);
  assert.ok(PIPELINE.portSecurity.bands.every((b) => b.table === TABLE.ingress && b.min > PIPELINE.discovery.priority.tableMiss));
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
