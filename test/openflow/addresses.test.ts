import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OfpEncodeError, ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, macFromBytes, macToBytes } from '../../src/openflow/index.js';

/** The address parsers of the hot path, edge by edge: each case fails if a bound or a check is loosened. */

const mac = (s: string): string => {
  const b = Buffer.alloc(8, 0xee);
  macToBytes(s, b, 1);
  assert.equal(b[0], 0xee, 'nothing written before');
  assert.equal(b[7], 0xee, 'nothing written after');
  return b.subarray(1, 7).toString('hex');
};

test('MAC: every hex digit in both cases; separators, length and digits checked', () => {
  assert.equal(mac('01:23:45:67:89:ab'), '0123456789ab');
  assert.equal(mac('CD:EF:0A:9F:Aa:fF'), 'cdef0a9faaff');
  for (const bad of ['01:23:45:67:89', '01:23:45:67:89:ab:', '01-23-45-67-89-ab', '01:23:45:67:89:ag', '01:23:45:67:89:g0', '0:123:45:67:89:ab', '01:23:45:67:89:/0', '01:23:45:67:89:@0', '01:23:45:67:89:`0', '01:23:45:67:89:G0', ' 1:23:45:67:89:ab']) {
    assert.throws(() => mac(bad), (e: unknown) => e instanceof OfpEncodeError && e.message === `invalid MAC address "${bad}"`, bad);
  }
});

test('MAC text: lower case, two digits a byte, the same string for the same value (cached, bounded)', () => {
  const b = Buffer.from('000a0b0c0d0eff', 'hex');
  assert.equal(macFromBytes(b, 0), '00:0a:0b:0c:0d:0e');
  assert.equal(macFromBytes(b, 1), '0a:0b:0c:0d:0e:ff');
  // Many distinct values: the cache is cleared past its bound, answers stay right.
  const x = Buffer.alloc(6);
  for (let i = 0; i < 70_000; i++) {
    x.writeUIntBE(i, 0, 6);
    if (i % 9_999 === 0) assert.equal(macFromBytes(x, 0), `00:00:00:${[i >> 16, (i >> 8) & 255, i & 255].map((v) => v.toString(16).padStart(2, '0')).join(':')}`);
    else macFromBytes(x, 0);
  }
});

test('IPv4: four parts of one to three digits, each at most 255', () => {
  const ip = (s: string): string => {
    const b = Buffer.alloc(6, 0xee);
    ipv4ToBytes(s, b, 1);
    assert.equal(b[5], 0xee);
    return [...b.subarray(1, 5)].join('.');
  };
  assert.equal(ip('0.0.0.0'), '0.0.0.0');
  assert.equal(ip('255.255.255.255'), '255.255.255.255');
  assert.equal(ip('10.0.1.254'), '10.0.1.254');
  for (const bad of ['10.0.1', '10.0.1.2.3', '10.0.1.256', '10..1.2', '.10.0.1', '10.0.1.', '10.0.1.2a', '1000.0.0.1', '10.0.1.0001', '', 'a.b.c.d', '10.0.1.2/24']) {
    assert.throws(() => ip(bad), (e: unknown) => e instanceof OfpEncodeError && e.message === `invalid IPv4 address "${bad}"`, bad);
  }
  assert.equal(ipv4FromBytes(Buffer.from([0, 10, 0, 1, 254]), 1), '10.0.1.254');
});

test('IPv6: :: anywhere once, eight groups otherwise, the canonical text back (longest zero run compressed)', () => {
  const round = (s: string): string => {
    const b = Buffer.alloc(16);
    ipv6ToBytes(s, b, 0);
    return ipv6FromBytes(b, 0);
  };
  assert.equal(round('2001:db8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(round('::'), '::');
  assert.equal(round('::1'), '::1');
  assert.equal(round('fe80::'), 'fe80::');
  assert.equal(round('1:0:0:2:0:0:0:3'), '1:0:0:2::3', 'the longest run, not the first');
  assert.equal(round('1:0:0:2:0:0:3:4'), '1::2:0:0:3:4', 'of equal runs, the first');
  assert.equal(round('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8', 'no zero group: nothing compressed');
  assert.equal(round('ABCD:EF01::'), 'abcd:ef01::');
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::1', '1:2:3:4:5:6:7:8::']) {
    assert.throws(() => round(bad), /invalid IPv6/, bad);
  }
});
