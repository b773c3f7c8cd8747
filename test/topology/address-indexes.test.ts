import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrefix, type Prefix } from '../../src/topology/cidr.js';
import { PrefixIndex } from '../../src/topology/prefix-index.js';
import { SortedAddresses } from '../../src/topology/sorted-addresses.js';

/** The loader's indexes (10,000 subnets in seconds, not minutes): the same answers as a scan. */

const prefix = (text: string): Prefix => parsePrefix(text) as Prefix;

test('PrefixIndex finds the network that contains an address, and one that overlaps a prefix, as a scan would', () => {
  const index = new PrefixIndex<{ prefix: Prefix }>();
  const nets = ['10.0.3.0/24', '10.0.1.0/24', '10.1.0.0/16', '192.168.0.0/30'];
  for (const [i, p] of nets.entries()) index.set(`n${i}`, { prefix: prefix(p) });
  assert.equal(index.size, 4, 'still a map by name');
  assert.equal(index.containing(prefix('10.0.1.77/32').first)?.[0], 'n1');
  assert.equal(index.containing(prefix('10.0.3.0/32').first)?.[0], 'n0', 'the first address');
  assert.equal(index.containing(prefix('10.0.3.255/32').first)?.[0], 'n0', 'the last address');
  assert.equal(index.containing(prefix('10.0.2.1/32').first), undefined, 'between two networks');
  assert.equal(index.containing(prefix('9.255.255.255/32').first), undefined, 'below all');
  assert.equal(index.containing(prefix('192.168.0.4/32').first), undefined, 'above all');
  assert.equal(index.overlapping(prefix('10.0.0.0/16'))?.[0] !== undefined, true, 'a prefix that covers two');
  assert.equal(index.overlapping(prefix('10.1.200.0/24'))?.[0], 'n2', 'one inside another');
  assert.equal(index.overlapping(prefix('10.0.2.0/24')), undefined, 'in a gap');
  // Renamed and removed networks leave the index with the map.
  index.delete('n1');
  assert.equal(index.containing(prefix('10.0.1.77/32').first), undefined);
  index.set('n0', { prefix: prefix('10.0.4.0/24') });
  assert.equal(index.containing(prefix('10.0.3.1/32').first), undefined, 'the old prefix of a network set again is gone');
  assert.equal(index.containing(prefix('10.0.4.1/32').first)?.[0], 'n0');
  // Against a scan, on many networks and addresses.
  const many = new PrefixIndex<{ prefix: Prefix }>();
  const all = Array.from({ length: 300 }, (_, i) => ({ name: `m${i}`, prefix: prefix(`10.${i >> 4}.${(i & 15) * 16}.0/${i % 3 === 0 ? 20 : 24}`) })).filter((n, i, xs) => !xs.slice(0, i).some((o) => o.prefix.first <= n.prefix.last && n.prefix.first <= o.prefix.last));
  for (const n of all) many.set(n.name, n);
  for (let a = prefix('10.0.0.0/32').first; a < prefix('10.19.0.0/32').first; a += 97) {
    assert.equal(many.containing(a)?.[0], all.find((n) => n.prefix.first <= a && a <= n.prefix.last)?.name, `address ${a}`);
  }
});

test('SortedAddresses gives every item in a range, lowest first, and leaves out items without an address', () => {
  const hosts = [{ n: 'c', at: 30 }, { n: 'a', at: 10 }, { n: 'x', at: undefined }, { n: 'b', at: 20 }, { n: 'b2', at: 20 }];
  const byAddress = new SortedAddresses(hosts, (h) => h.at);
  assert.deepEqual(byAddress.within(10, 20).map((h) => h.n).sort(), ['a', 'b', 'b2']);
  assert.deepEqual(byAddress.within(11, 29).map((h) => h.n).sort(), ['b', 'b2']);
  assert.deepEqual(byAddress.within(31, 100), []);
  assert.deepEqual(byAddress.within(0, 9), []);
  assert.deepEqual(byAddress.within(0, 100).map((h) => h.n)[0], 'a');
  const big = new SortedAddresses([{ at: 5n }, { at: 2n ** 100n }], (h) => h.at);
  assert.equal(big.within(2n ** 99n, 2n ** 101n).length, 1, 'IPv6 addresses as bigints');
});
