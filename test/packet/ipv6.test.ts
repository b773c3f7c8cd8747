import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../../lab/fuzz.js';
import {
  ETH_TYPE, ICMPV6_TYPE, type Icmpv6Message, PacketParseError, icmpv6Bytes, icmpv6Checksum, icmpv6Frame, ipv6Bytes, ipv6MulticastMac, ipv6Packet, isLinkLocal, parseEthernet,
  linkLocalOf, parseIcmpv6, parseIpv6, solicitedNodeAddress,
} from '../../src/packet/index.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../src/topology/model.js';

/** IPv6, ICMPv6 and neighbour discovery: what the controller reads is what it wrote, and what a receiver must refuse is refused (issue 25). */

const VM_MAC = '02:00:0a:00:01:0a';
const GW_MAC = '02:53:56:00:00:01';
const VM = '2001:db8:1::10';
const GW_LL = 'fe80::53:56ff:fe00:1';

const roundTrip = (frame: Buffer): { ip: ReturnType<typeof parseIpv6>['header']; msg: Icmpv6Message } => {
  const eth = parseEthernet(frame);
  assert.equal(eth.ethType, ETH_TYPE.IPV6);
  const { header, body } = parseIpv6(eth.payload);
  return { ip: header, msg: parseIcmpv6(header, body) };
};

test('the IPv6 header: read back as written; a padded frame carries only its payload length; short, another version, a length past the end are refused', () => {
  const body = Buffer.from('hello');
  const packet = ipv6Packet({ src: VM, dst: '2001:db8:3::10', nextHeader: 17, hopLimit: 63, trafficClass: 0xb8, flowLabel: 0x12345 }, body);
  const padded = Buffer.concat([packet, Buffer.alloc(10)]);
  const { header, body: got } = parseIpv6(padded);
  assert.deepEqual(header, { src: VM, dst: '2001:db8:3::10', nextHeader: 17, hopLimit: 63, trafficClass: 0xb8, flowLabel: 0x12345, payloadLength: 5 });
  assert.deepEqual(got, body);
  assert.throws(() => parseIpv6(packet.subarray(0, 39)), /IPv6 packet of 39 bytes/);
  const v4 = Buffer.from(packet);
  v4[0] = 0x45;
  assert.throws(() => parseIpv6(v4), /IP version 4 in an IPv6 frame/);
  const lying = Buffer.from(packet);
  lying.writeUInt16BE(6, 4);
  assert.throws(() => parseIpv6(lying), /payload length 6 past the 5 bytes/);
});

test('addresses: solicited-node multicast, its Ethernet address, link-local', () => {
  assert.equal(solicitedNodeAddress('2001:db8:1::a:bc:def0'), 'ff02::1:ffbc:def0');
  assert.equal(ipv6MulticastMac('ff02::1:ffbc:def0'), '33:33:ff:bc:de:f0');
  assert.equal(ipv6MulticastMac('ff02::1'), '33:33:00:00:00:01');
  assert.throws(() => ipv6MulticastMac(VM), /not a multicast address/);
  assert.equal(isLinkLocal(GW_LL), true);
  assert.equal(isLinkLocal('febf::1'), true);
  assert.equal(isLinkLocal('fec0::1'), false);
  assert.equal(isLinkLocal(VM), false);
  // Modified EUI-64: the U/L bit flipped, ff:fe in the middle, in RFC 5952 text.
  assert.equal(linkLocalOf(GATEWAY_MAC), GATEWAY_LINK_LOCAL, 'the gateway\'s link-local address is its MAC\'s');
  assert.equal(linkLocalOf('00:00:00:00:00:01'), 'fe80::200:ff:fe00:1');
  assert.equal(linkLocalOf('02:00:00:00:00:00'), 'fe80::ff:fe00:0');
});

test('the ICMPv6 checksum covers the pseudo-header: another source or destination, or one bit of the message, changes it; an odd length is padded', () => {
  const msg = icmpv6Bytes(VM, '2001:db8:3::10', { kind: 'echo-request', id: 7, seq: 1, data: Buffer.from('abc') });
  assert.equal(msg.length, 11);
  const sum = msg.readUInt16BE(2);
  assert.equal(icmpv6Checksum(VM, '2001:db8:3::10', msg), sum, 'the checksum field itself is skipped');
  assert.notEqual(icmpv6Checksum('2001:db8:1::11', '2001:db8:3::10', msg), sum);
  assert.notEqual(icmpv6Checksum(VM, '2001:db8:3::11', msg), sum);
  const flipped = Buffer.from(msg);
  flipped[10]! ^= 1;
  assert.notEqual(icmpv6Checksum(VM, '2001:db8:3::10', flipped), sum);
  // Checked the receiver's way: the one's-complement sum of the pseudo-header and the message, checksum included, is 0xffff.
  const length = Buffer.alloc(4);
  length.writeUInt32BE(msg.length);
  const all = Buffer.concat([ipv6Bytes(VM), ipv6Bytes('2001:db8:3::10'), length, Buffer.from([0, 0, 0, 58]), msg, Buffer.alloc(msg.length % 2)]);
  let total = 0;
  for (let i = 0; i < all.length; i += 2) total += all.readUInt16BE(i);
  while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
  assert.equal(total, 0xffff);
});

test('neighbour discovery and echo: every message the fabric sends is read back exactly, with its options', () => {
  const messages: Array<[{ src: string; dst: string; dstMac: string }, Icmpv6Message]> = [
    [{ src: VM, dst: solicitedNodeAddress('2001:db8:1::1'), dstMac: ipv6MulticastMac(solicitedNodeAddress('2001:db8:1::1')) }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [{ kind: 'source-lla', mac: VM_MAC }] }],
    [{ src: '2001:db8:1::1', dst: VM, dstMac: VM_MAC }, { kind: 'neighbor-advert', target: '2001:db8:1::1', router: true, solicited: true, override: false, options: [{ kind: 'target-lla', mac: GW_MAC }] }],
    [{ src: VM, dst: 'ff02::1', dstMac: '33:33:00:00:00:01' }, { kind: 'neighbor-advert', target: VM, router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac: VM_MAC }] }],
    [{ src: 'fe80::10', dst: 'ff02::2', dstMac: '33:33:00:00:00:02' }, { kind: 'router-solicit', options: [{ kind: 'source-lla', mac: VM_MAC }] }],
    [{ src: GW_LL, dst: 'ff02::1', dstMac: '33:33:00:00:00:01' }, {
      kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0,
      options: [{ kind: 'source-lla', mac: GW_MAC }, { kind: 'mtu', mtu: 1500 }, { kind: 'prefix', prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, validLifetime: 86_400, preferredLifetime: 14_400 }, { kind: 'other', type: 25, data: Buffer.alloc(6, 9) }],
    }],
    [{ src: VM, dst: '2001:db8:3::10', dstMac: GW_MAC }, { kind: 'echo-request', id: 0x1234, seq: 9, data: Buffer.from('payload') }],
    [{ src: '2001:db8:3::10', dst: VM, dstMac: VM_MAC }, { kind: 'echo-reply', id: 0x1234, seq: 9, data: Buffer.alloc(0) }],
  ];
  for (const [to, msg] of messages) {
    const { ip, msg: back } = roundTrip(icmpv6Frame({ srcMac: VM_MAC, ...to }, msg));
    assert.deepEqual(back, msg, msg.kind);
    assert.equal(ip.hopLimit, msg.kind.startsWith('echo') ? 64 : 255, `${msg.kind}: hop limit`);
  }
});

test('what a receiver must refuse (RFC 4861 7.1, 6.1): hop limit below 255, a code, a bad checksum, options of length 0 or past the end, a multicast target, a DAD probe not to its solicited-node address or with a source address, a solicited advert to a group, an RA from a global address', () => {
  const ns = (over: { src?: string; dst?: string; hopLimit?: number } = {}, target = '2001:db8:1::1', options: Icmpv6Message = { kind: 'neighbor-solicit', target, options: [{ kind: 'source-lla', mac: VM_MAC }] }): Buffer =>
    icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:ff:00:00:01', src: over.src ?? VM, dst: over.dst ?? 'ff02::1:ff00:1', ...(over.hopLimit !== undefined ? { hopLimit: over.hopLimit } : {}) }, options);
  const refused = (frame: Buffer, why: RegExp): void => {
    assert.throws(() => roundTrip(frame), (e: unknown) => e instanceof PacketParseError && why.test(e.message), String(why));
  };
  refused(ns({ hopLimit: 254 }), /hop limit 254/);
  const coded = ns();
  coded[14 + 40 + 1] = 1;
  coded.writeUInt16BE(0, 14 + 40 + 2);
  coded.writeUInt16BE(icmpv6Checksum(VM, 'ff02::1:ff00:1', coded.subarray(54)), 14 + 40 + 2);
  refused(coded, /code 1/);
  const corrupt = ns();
  corrupt[corrupt.length - 1]! ^= 0xff;
  refused(corrupt, /checksum/);
  refused(ns({}, 'ff02::1'), /a multicast address/);
  refused(icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:ff:00:00:01', src: '::', dst: 'ff02::1:ff00:1' }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [{ kind: 'source-lla', mac: VM_MAC }] }), /from ::/);
  refused(icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:01', src: '::', dst: 'ff02::1' }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [] }), /from ::/);
  // A DAD probe as it should be is read.
  assert.equal(roundTrip(icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:ff:00:00:10', src: '::', dst: solicitedNodeAddress(VM) }, { kind: 'neighbor-solicit', target: VM, options: [] })).msg.kind, 'neighbor-solicit');
  refused(icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:01', src: VM, dst: 'ff02::1' }, { kind: 'neighbor-advert', target: VM, router: false, solicited: true, override: true, options: [] }), /solicited neighbour advertisement to a multicast/);
  refused(icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:01', src: VM, dst: 'ff02::1' }, { kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0, options: [] }), /not a link-local address/);
  // Options: one of length 0, one that runs past the message.
  const withOption = (option: Buffer): Buffer => {
    const msg = Buffer.concat([icmpv6Bytes(VM, 'ff02::1:ff00:1', { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [] }), option]);
    msg.writeUInt16BE(0, 2);
    msg.writeUInt16BE(icmpv6Checksum(VM, 'ff02::1:ff00:1', msg), 2);
    return Buffer.concat([Buffer.from('3333ff000001020000000000', 'hex'), Buffer.from('86dd', 'hex'), ipv6Packet({ src: VM, dst: 'ff02::1:ff00:1', nextHeader: 58, hopLimit: 255 }, msg)]);
  };
  refused(withOption(Buffer.from('0100000000000000', 'hex')), /of length 0/);
  refused(withOption(Buffer.from('0102000000000000', 'hex')), /past the message's end/);
  refused(withOption(Buffer.from('01', 'hex')), /truncated ND option/);
  // Too short for its type.
  const short = icmpv6Bytes(VM, 'ff02::1:ff00:1', { kind: 'other', type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, code: 0, body: Buffer.alloc(20) });
  refused(Buffer.concat([Buffer.from('3333ff000001020000000000', 'hex'), Buffer.from('86dd', 'hex'), ipv6Packet({ src: VM, dst: 'ff02::1:ff00:1', nextHeader: 58, hopLimit: 255 }, short)]), /of 20 bytes \(at least 24\)/);
  refused(Buffer.concat([Buffer.from('3333ff000001020000000000', 'hex'), Buffer.from('86dd', 'hex'), ipv6Packet({ src: VM, dst: 'ff02::1:ff00:1', nextHeader: 17, hopLimit: 255 }, short)]), /not ICMPv6/);
});

test('fuzz: 20,000 mutated IPv6 frames (bytes after the Ethernet header flipped, cut, extended, lying fields) are read or refused with a PacketParseError, never anything else', () => {
  const seeds = [
    icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:ff:00:00:01', src: VM, dst: 'ff02::1:ff00:1' }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [{ kind: 'source-lla', mac: VM_MAC }] }),
    icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:01', src: VM, dst: 'ff02::1' }, { kind: 'neighbor-advert', target: VM, router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac: VM_MAC }] }),
    icmpv6Frame({ srcMac: GW_MAC, dstMac: '33:33:00:00:00:01', src: GW_LL, dst: 'ff02::1' }, { kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0, options: [{ kind: 'prefix', prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, validLifetime: 1, preferredLifetime: 1 }] }),
    icmpv6Frame({ srcMac: VM_MAC, dstMac: GW_MAC, src: VM, dst: '2001:db8:3::10' }, { kind: 'echo-request', id: 1, seq: 1, data: Buffer.alloc(16) }),
  ];
  const seed = 0x6e6e6e;
  const next = rng(seed);
  let read = 0;
  for (let i = 0; i < 20_000; i++) {
    const base = seeds[next() % seeds.length]!;
    let f = Buffer.from(base);
    const how = next() % 4;
    if (how === 0) for (let k = 0; k <= next() % 4; k++) f[14 + (next() % (f.length - 14))]! ^= 1 << (next() % 8);
    else if (how === 1) f = f.subarray(0, 14 + (next() % (f.length - 14)));
    else if (how === 2) f = Buffer.concat([f, Buffer.from(Array.from({ length: 1 + (next() % 40) }, () => next() & 0xff))]);
    else {
      // The fields a liar picks: the payload length, the hop limit, an option's length.
      const at = [14 + 4, 14 + 5, 14 + 7, 14 + 40 + 25, 14 + 40 + 1][next() % 5]!;
      if (at < f.length) f[at] = next() & 0xff;
    }
    try {
      roundTrip(f);
      read++;
    } catch (e) {
      if (e instanceof PacketParseError) continue;
      throw new Error(`seed ${seed}, frame ${i} (${f.toString('hex')}): ${(e as Error).stack}`);
    }
  }
  assert.ok(read > 0, 'some mutations are still valid (a flipped padding bit, a longer echo)');
});
