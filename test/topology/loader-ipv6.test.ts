import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigToIp6, canonicalIp6, ip6ToBig, notRoutable6, parsePrefix6 } from '../../src/topology/cidr6.js';
import { TopologyError } from '../../src/topology/errors.js';
import { parseTopology } from '../../src/topology/loader.js';
import { SMALL, expectIssue } from './topology-edits.js';

// Issue 25, step 2: a network's IPv6 side and a host's IPv6 address, checked as IPv4's are.

test('dc-small is dual-stack: every subnet, the external network and every host have their IPv6 side, in RFC 5952 text', () => {
  const t = parseTopology(SMALL.replace('ip6: "2001:db8:0:1::10"', 'ip6: "2001:DB8:0:1:0:0:0:10"'), 'dc-small.yaml');
  assert.deepEqual(t.subnets[0]!.ipv6, { prefix: '2001:db8:0:1::/64', gateway: '2001:db8:0:1::1', coaPool: { first: '2001:db8:0:1::200', last: '2001:db8:0:1::250' } });
  assert.deepEqual(t.externals[0]!.ipv6, { prefix: '2001:db8:100::/64', gateway: '2001:db8:100::1' });
  assert.equal(t.hosts.find((h) => h.name === 'h11')!.ip6, '2001:db8:0:1::10', 'written in capitals and in full, stored canonical');
  assert.equal(t.hosts.find((h) => h.name === 'client')!.ip6, '2001:db8:100::10');
  assert.ok(t.hosts.every((h) => h.ip6 !== undefined));
});

test('IPv4-only networks and hosts stay as they were: no ipv6 field at all', () => {
  const text = SMALL.replace(/,\n\s+prefix6: "2001:db8:0:4::\/64", gateway6: "2001:db8:0:4::1", coa_pool6: "[^"]+"/, '')
    .replace(', ip6: "2001:db8:0:4::10"', '')
    .replace(', ip6: "2001:db8:0:4::11"', '');
  const t = parseTopology(text, 'x.yaml');
  assert.equal('ipv6' in t.subnets[3]!, false);
  assert.equal('ip6' in t.hosts.find((h) => h.name === 'h41')!, false);
});

const net2 = 'prefix6: "2001:db8:0:2::/64"';
test('overlapping IPv6 prefixes', () => expectIssue(net2, 'prefix6: "2001:db8::/48"', 'subnets[1].prefix6', /2001:db8::\/48 overlaps net1 \(subnets\[0\]\)/));
test('an IPv6 prefix with host bits', () => expectIssue(net2, 'prefix6: "2001:db8:0:2::1/64"', 'subnets[1].prefix6', /host bits set \(the network is 2001:db8:0:2::\/64\)/));
test('an IPv6 prefix that is not one', () => expectIssue(net2, 'prefix6: "2001:db8:0:2::"', 'subnets[1].prefix6', /is not an IPv6 prefix/));
test('a link-local prefix', () => expectIssue(net2, 'prefix6: "fe80::/64"', 'subnets[1].prefix6', /is link-local/));
test('a multicast prefix', () => expectIssue(net2, 'prefix6: "ff02::/64"', 'subnets[1].prefix6', /is a multicast address/));
test('a prefix shorter than /16', () => expectIssue(net2, 'prefix6: "2000::/3"', 'subnets[1].prefix6', /\/3 is shorter than \/16/));
test('a prefix longer than /124', () => expectIssue(net2, 'prefix6: "2001:db8:0:2::/126"', 'subnets[1].prefix6', /\/126 leaves no room/));
test('an IPv6 gateway outside its prefix', () => expectIssue('gateway6: "2001:db8:0:3::1"', 'gateway6: "2001:db8:0:9::1"', 'subnets[2].gateway6', /2001:db8:0:9::1 is outside its prefix6 2001:db8:0:3::\/64/));
test('an IPv6 gateway on the Subnet-Router anycast address', () => expectIssue('gateway6: "2001:db8:0:3::1"', 'gateway6: "2001:db8:0:3::"', 'subnets[2].gateway6', /Subnet-Router anycast address/));
/** The issues of dc-small with `find` replaced, where the problem is a field left out: reported at its entry. */
function missing(find: string, field: string): void {
  assert.throws(() => parseTopology(SMALL.replace(find, ''), 'x.yaml'), (e: unknown) => e instanceof TopologyError && e.issues.some((i) => i.field === field && i.why === 'is required'));
}
test('prefix6 without gateway6', () => missing('gateway6: "2001:db8:0:3::1", ', 'subnets[2].gateway6'));
test('prefix6 without coa_pool6', () => missing(', coa_pool6: "2001:db8:0:3::200-2001:db8:0:3::250"', 'subnets[2].coa_pool6'));
test('gateway6 without prefix6', () => missing('prefix6: "2001:db8:0:3::/64", ', 'subnets[2].prefix6'));
test('coa_pool6 without an IPv6 side', () => {
  const text = SMALL.replace('prefix6: "2001:db8:0:3::/64", gateway6: "2001:db8:0:3::1", ', '');
  assert.throws(() => parseTopology(text, 'x.yaml'), (e: unknown) => e instanceof TopologyError && e.issues.some((i) => i.field === 'subnets[2].coa_pool6' && /needs prefix6 and gateway6/.test(i.why)));
});
const pool1 = 'coa_pool6: "2001:db8:0:1::200-2001:db8:0:1::250"';
test('an IPv6 CoA pool reversed', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::250-2001:db8:0:1::200"', 'subnets[0].coa_pool6', /ends before it starts/));
test('an IPv6 CoA pool outside its prefix', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::200-2001:db8:0:2::250"', 'subnets[0].coa_pool6', /is not inside 2001:db8:0:1::\/64/));
test('an IPv6 CoA pool with the gateway', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::1-2001:db8:0:1::250"', 'subnets[0].coa_pool6', /includes the gateway 2001:db8:0:1::1/));
test('an IPv6 CoA pool from the Subnet-Router anycast address', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::-2001:db8:0:1::250"', 'subnets[0].coa_pool6', /Subnet-Router anycast/));
test('an IPv6 CoA pool that is not a range', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::200-2001:db8:0:1::250-2001:db8:0:1::300"', 'subnets[0].coa_pool6', /is not a range of IPv6 addresses/));
test('an IPv6 CoA pool smaller than its IPv4 one: a CoA without its twin', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::200-2001:db8:0:1::231"', 'subnets[0].coa_pool6', /holds 50 addresses, fewer than coa_pool's 51/));
test('an IPv6 CoA pool over a host', () => expectIssue(pool1, 'coa_pool6: "2001:db8:0:1::2-2001:db8:0:1::250"', 'subnets[0].coa_pool6', /includes host h11 \(2001:db8:0:1::10\)/));

const h42 = 'ip6: "2001:db8:0:4::11"';
test('a host IPv6 address outside its network\'s prefix6', () => expectIssue(h42, 'ip6: "2001:db8:0:3::11"', 'hosts[7].ip6', /is outside the prefix6 of net4 2001:db8:0:4::\/64/));
test('a host on its IPv6 gateway', () => expectIssue(h42, 'ip6: "2001:db8:0:4::1"', 'hosts[7].ip6', /is the IPv6 gateway of net4/));
test('a host with a link-local address', () => expectIssue(h42, 'ip6: "fe80::11"', 'hosts[7].ip6', /is link-local/));
test('a host IPv6 address that is not one', () => expectIssue(h42, 'ip6: "2001:db8:0:4::11::1"', 'hosts[7].ip6', /is not an IPv6 address/));
test('a duplicate host IPv6 address, in another spelling', () => expectIssue(h42, 'ip6: "2001:0db8:0000:0004:0000:0000:0000:0010"', 'hosts[7].ip6', /IPv6 address "2001:db8:0:4::10" is already used by hosts\[6\]\.ip6/));
test('a host with ip6 in a network without prefix6', () => {
  const text = SMALL.replace(/,\n\s+prefix6: "2001:db8:0:4::\/64", gateway6: "2001:db8:0:4::1", coa_pool6: "[^"]+"/, '');
  assert.throws(() => parseTopology(text, 'x.yaml'), (e: unknown) => e instanceof TopologyError && e.issues.some((i) => i.field === 'hosts[7].ip6' && /net4 has no prefix6/.test(i.why)));
});
test('an external network\'s IPv6 gateway outside its prefix', () => expectIssue('gateway6: "2001:db8:100::1"', 'gateway6: "2001:db8:101::1"', 'external[0].gateway6', /outside its prefix6/));
test('an external IPv6 prefix overlapping a subnet\'s', () => expectIssue('prefix6: "2001:db8:100::/64"', 'prefix6: "2001:db8:0:1::/64"', 'external[0].prefix6', /overlaps net1/));
test('an unknown IPv6 field is a typo, not ignored', () => expectIssue(h42, 'ipv6: "2001:db8:0:4::11"', 'hosts[7].ipv6', /did you mean "ip6"/));

test('IPv6 arithmetic: text to number and back, prefixes, and the address kinds the fabric routes', () => {
  assert.equal(ip6ToBig('::1'), 1n);
  assert.equal(ip6ToBig('2001:db8::1:2:3:4:5:6'), undefined, 'nine groups');
  assert.equal(ip6ToBig('1.2.3.4'), undefined);
  assert.equal(ip6ToBig('fe80::1%eth0'), undefined, 'no zones in a topology file');
  assert.equal(bigToIp6((1n << 128n) - 1n), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.equal(canonicalIp6('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  const p = parsePrefix6('2001:db8:0:1::/64');
  assert.ok(typeof p !== 'string');
  assert.equal(p.last - p.first, (1n << 64n) - 1n);
  assert.equal(typeof parsePrefix6('2001:db8::/129'), 'string');
  assert.equal(parsePrefix6('::/0') instanceof Object && (parsePrefix6('::/0') as { last: bigint }).last, (1n << 128n) - 1n);
  assert.equal(notRoutable6(ip6ToBig('2001:db8::1')!), undefined);
  assert.equal(notRoutable6(ip6ToBig('fd00::1')!), undefined, 'unique local');
  assert.match(notRoutable6(ip6ToBig('fe80::1')!)!, /link-local/);
  assert.match(notRoutable6(ip6ToBig('febf::1')!)!, /link-local/);
  assert.match(notRoutable6(ip6ToBig('fec0::1')!)!, /neither global unicast/, 'site-local, deprecated');
  assert.match(notRoutable6(ip6ToBig('::1')!)!, /neither/);
  assert.match(notRoutable6(ip6ToBig('ff02::1')!)!, /multicast/);
});
