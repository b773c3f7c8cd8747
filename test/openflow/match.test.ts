import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatchPrerequisiteError, OfpEncodeError, encodeMessage, flowMod, type Match } from '../../src/openflow/index.js';

const encode = (match: Match): Buffer => encodeMessage(flowMod({ match }));

test('prerequisites are checked before anything is sent, naming field and requirement', () => {
  const cases: Array<[Match, string, RegExp]> = [
    [{ ipv4_dst: '10.0.0.1' }, 'ipv4_dst', /eth_type=0x0800/],
    [{ eth_type: 0x86dd, ipv4_src: '10.0.0.1' }, 'ipv4_src', /eth_type=0x0800/],
    [{ eth_type: 0x0800, tcp_dst: 80 }, 'tcp_dst', /ip_proto=6/],
    [{ eth_type: 0x0800, ip_proto: 17, tcp_dst: 80 }, 'tcp_dst', /ip_proto=6/],
    [{ arp_tpa: '10.0.0.1' }, 'arp_tpa', /0x0806/],
    [{ eth_type: 0x86dd, ip_proto: 58, ipv6_nd_target: '::1' }, 'ipv6_nd_target', /icmpv6_type=135 or 136/],
    [{ vlan_pcp: 3 }, 'vlan_pcp', /vlan_vid/],
    [{ eth_type: 0x0800, ip_proto: 58, icmpv6_type: 1 }, 'icmpv6_type', /eth_type=0x86dd/],
  ];
  for (const [match, field, requirement] of cases) {
    assert.throws(() => encode(match), (e: unknown) => e instanceof MatchPrerequisiteError && e.field === field && requirement.test(e.message), JSON.stringify(match));
  }
});

test('matches whose prerequisites hold encode', () => {
  assert.ok(encode({ eth_type: 0x0800, ip_proto: 6, ipv4_dst: '10.0.0.1', tcp_dst: 80 }).length > 0);
  assert.ok(encode({ eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.0.254' }).length > 0);
  assert.ok(encode({ vlan_vid: 0x1005, vlan_pcp: 3 }).length > 0);
});

test('bad values are encode errors, not garbage on the wire', () => {
  assert.throws(() => encode({ in_port: -1 }), OfpEncodeError);
  assert.throws(() => encode({ eth_type: 0x10000 }), OfpEncodeError);
  assert.throws(() => encode({ eth_dst: '00:11:22:33:44' }), /invalid MAC/);
  assert.throws(() => encode({ eth_type: 0x0800, ipv4_dst: '10.0.0.256' }), /invalid IPv4/);
  assert.throws(() => encode({ eth_type: 0x86dd, ipv6_dst: '1::2::3' }), /invalid IPv6/);
  assert.throws(() => encode({ in_port: { value: 1, mask: 1 } } as unknown as Match), /cannot be masked/);
});

test('fields are written in spec order whatever the key order (prerequisites first)', () => {
  const a = encode({ tcp_dst: 80, ip_proto: 6, eth_type: 0x0800 } as Match);
  const b = encode({ eth_type: 0x0800, ip_proto: 6, tcp_dst: 80 });
  assert.deepEqual(a, b);
});
