import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARP_AT, ARP_OP, arpFrame, arpOpAt, arpReplyFrame, isUntaggedArp, parseArp } from '../../src/packet/arp.js';
import { copyBytes, u32At } from '../../src/packet/bytes.js';
import { PacketParseError } from '../../src/packet/errors.js';
import { BROADCAST_MAC, ETH_TYPE, buildEthernet, parseEthernet, writeEthernetHeader } from '../../src/packet/ethernet.js';
import { IP_PROTO, parseIpv4 } from '../../src/packet/ipv4.js';
import { buildLldp, parseLldp, verifyLldp } from '../../src/packet/lldp.js';

/**
 * The packet layer byte for byte: every field at its offset in what is built, every field
 * read from where it sits, every refusal with its reason. (tshark checks the same frames in
 * packet.oracle.test.ts; these need no tool and say which byte is wrong.)
 */

const H11 = { mac: '02:00:0a:00:01:0a', ip: '10.0.1.10' };
const GW = { mac: '02:00:00:00:00:01', ip: '10.0.1.1' };
const hex = (...parts: string[]): string => parts.join('').replace(/[\s:.]/g, '');

test('an ARP request frame, byte for byte: broadcast, EtherType 0x0806, IPv4 over Ethernet, op 1, sender and target', () => {
  const f = arpFrame({ op: ARP_OP.REQUEST, senderMac: H11.mac, senderIp: H11.ip, targetMac: '00:00:00:00:00:00', targetIp: GW.ip });
  assert.equal(f.toString('hex'), hex(
    'ffffffffffff', '02000a00010a', '0806', // to everyone, from h11, ARP
    '0001', '0800', '06', '04', '0001', // Ethernet, IPv4, 6, 4, request
    '02000a00010a', '0a00010a', '000000000000', '0a000101', // sender h11, target 10.0.1.1
  ));
  assert.deepEqual(parseArp(parseEthernet(f).payload), { op: 1, senderMac: H11.mac, senderIp: H11.ip, targetMac: '00:00:00:00:00:00', targetIp: GW.ip });
});

test('a reply goes to its target; a RARP has EtherType 0x8035; the destination can be given', () => {
  const reply = arpFrame({ op: ARP_OP.REPLY, senderMac: GW.mac, senderIp: GW.ip, targetMac: H11.mac, targetIp: H11.ip });
  assert.equal(reply.subarray(0, 14).toString('hex'), hex('02000a00010a', '020000000001', '0806'));
  assert.equal(reply.readUInt16BE(20), 2);
  const rarp = arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: H11.mac, senderIp: '0.0.0.0', targetMac: H11.mac, targetIp: '0.0.0.0' }, BROADCAST_MAC);
  assert.equal(rarp.subarray(0, 14).toString('hex'), hex('ffffffffffff', '02000a00010a', '8035'));
  assert.equal(rarp.readUInt16BE(20), 3);
  const rarpReply = arpFrame({ op: ARP_OP.RARP_REPLY, senderMac: GW.mac, senderIp: GW.ip, targetMac: H11.mac, targetIp: H11.ip });
  assert.equal(rarpReply.readUInt16BE(12), ETH_TYPE.RARP, 'op 4 is a RARP too');
  assert.equal(rarpReply.subarray(0, 6).toString('hex'), '02000a00010a', 'to its target');
  assert.equal(rarp.length, 42);
});

test('arpReplyFrame answers a request by moving its bytes: to the requester, from the given MAC, op 2, sender the address asked about', () => {
  const request = arpFrame({ op: ARP_OP.REQUEST, senderMac: H11.mac, senderIp: H11.ip, targetMac: '00:00:00:00:00:00', targetIp: GW.ip });
  const mac = Uint8Array.from([2, 0, 0, 0, 0, 1]);
  const reply = arpReplyFrame(request, mac);
  assert.equal(reply.toString('hex'), hex(
    '02000a00010a', '020000000001', '0806', '0001', '0800', '06', '04', '0002',
    '020000000001', '0a000101', '02000a00010a', '0a00010a',
  ));
  const into = Buffer.alloc(42, 0xee);
  assert.equal(arpReplyFrame(request, mac, into), into, 'built in the buffer given');
  assert.ok(into.equals(reply));
});

test('isUntaggedArp and arpOpAt read a frame in place; every byte of the ARP header is checked', () => {
  const request = arpFrame({ op: ARP_OP.REQUEST, senderMac: H11.mac, senderIp: H11.ip, targetMac: '00:00:00:00:00:00', targetIp: GW.ip });
  assert.equal(isUntaggedArp(request), true);
  assert.equal(arpOpAt(request), 1);
  const op = Buffer.from(request);
  op.writeUInt16BE(0x0102, ARP_AT.OP);
  assert.equal(arpOpAt(op), 0x0102, 'both bytes of the op');
  assert.equal(isUntaggedArp(request.subarray(0, 41)), false, 'too short');
  for (const at of [12, 13, 14, 15, 16, 17, 18, 19]) {
    const bad = Buffer.from(request);
    bad[at] = bad[at]! ^ 0xff;
    assert.equal(isUntaggedArp(bad), false, `byte ${at} changed`);
  }
  assert.deepEqual([ARP_AT.SENDER_MAC, ARP_AT.SENDER_IP, ARP_AT.TARGET_MAC, ARP_AT.TARGET_IP, ARP_AT.END], [22, 28, 32, 38, 42]);
  assert.equal(u32At(request, ARP_AT.SENDER_IP), 0x0a00010a);
  assert.equal(u32At(Uint8Array.from([0xff, 0xff, 0xff, 0xfe]), 0), 0xfffffffe, 'unsigned');
});

test('parseArp refuses what is not IPv4-over-Ethernet ARP, naming why', () => {
  const payload = parseEthernet(arpFrame({ op: ARP_OP.REQUEST, senderMac: H11.mac, senderIp: H11.ip, targetMac: '00:00:00:00:00:00', targetIp: GW.ip })).payload;
  assert.throws(() => parseArp(payload.subarray(0, 27)), { name: 'PacketParseError', message: 'ARP payload of 27 bytes' });
  assert.doesNotThrow(() => parseArp(payload.subarray(0, 28)));
  for (const [at, value] of [[1, 6], [2, 0x86], [4, 8], [5, 16]] as const) {
    const bad = Buffer.from(payload);
    bad[at] = value;
    assert.throws(() => parseArp(bad), (e: Error) => e instanceof PacketParseError && e.message === 'ARP is not IPv4 over Ethernet', `byte ${at}`);
  }
});

test('Ethernet: the header written at its offsets; an 802.1Q tag is read through; short frames refused', () => {
  const out = Buffer.alloc(14, 0xee);
  writeEthernetHeader(out, BROADCAST_MAC, H11.mac, ETH_TYPE.LLDP);
  assert.equal(out.toString('hex'), hex('ffffffffffff', '02000a00010a', '88cc'));
  const built = buildEthernet(GW.mac, H11.mac, ETH_TYPE.IPV4, Buffer.from('abcd', 'hex'));
  assert.equal(built.toString('hex'), hex('020000000001', '02000a00010a', '0800', 'abcd'));
  assert.deepEqual(parseEthernet(built), { dst: GW.mac, src: H11.mac, ethType: ETH_TYPE.IPV4, payload: Buffer.from('abcd', 'hex') });
  const tagged = Buffer.from(hex('020000000001', '02000a00010a', '8100', 'a00a', '0806', 'beef'), 'hex');
  assert.deepEqual(parseEthernet(tagged), { dst: GW.mac, src: H11.mac, ethType: ETH_TYPE.ARP, vlan: 10, payload: Buffer.from('beef', 'hex') }, 'VLAN 10 (priority bits dropped)');
  assert.throws(() => parseEthernet(tagged.subarray(0, 17)), { message: 'truncated 802.1Q tag' });
  assert.equal(parseEthernet(tagged.subarray(0, 18)).payload.length, 0);
  assert.throws(() => parseEthernet(built.subarray(0, 13)), { message: 'ethernet frame of 13 bytes' });
  assert.equal('vlan' in parseEthernet(built.subarray(0, 14)), false, 'no vlan key when untagged');
  const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
  const to = new Uint8Array(5);
  copyBytes(bytes, 1, to, 2, 3);
  assert.deepEqual([...to], [0, 0, 2, 3, 4]);
});

test('IPv4: every field from its offset; a header that is short, of another version, or longer than the packet is refused', () => {
  const packet = Buffer.from(hex('4500', '0054', '0000', '4000', '3f', '01', '0000', '0a00010a', '0a00030a'), 'hex');
  assert.deepEqual(parseIpv4(packet), { src: '10.0.1.10', dst: '10.0.3.10', protocol: IP_PROTO.ICMP, ttl: 63, headerLength: 20, totalLength: 84 });
  const options = Buffer.concat([Buffer.from(packet), Buffer.alloc(4)]);
  options[0] = 0x46;
  assert.equal(parseIpv4(options).headerLength, 24);
  assert.throws(() => parseIpv4(packet.subarray(0, 19)), { message: 'IPv4 packet of 19 bytes' });
  for (const first of [0x65, 0x44, 0x46]) {
    const bad = Buffer.from(packet);
    bad[0] = first;
    assert.throws(() => parseIpv4(bad), { name: 'PacketParseError', message: 'bad IPv4 header' }, `first byte ${first.toString(16)}`);
  }
  assert.deepEqual([IP_PROTO.TCP, IP_PROTO.UDP], [6, 17]);
});

/** An LLDP payload of TLVs: [type, value] pairs, then END. */
function lldpPayload(tlvs: Array<[number, Buffer]>, end = true): Buffer {
  const parts = tlvs.map(([type, value]) => {
    const head = Buffer.alloc(2);
    head.writeUInt16BE((type << 9) | value.length);
    return Buffer.concat([head, value]);
  });
  return Buffer.concat([...parts, ...(end ? [Buffer.alloc(2)] : [])]);
}
const sub7 = (text: string): Buffer => Buffer.concat([Buffer.from([7]), Buffer.from(text, 'latin1')]);
const ttl = (s: number): Buffer => Buffer.from([s >> 8, s & 0xff]);
const DPID = '0000000000010001';

test('LLDP: a probe is built TLV by TLV (chassis "dpid:", port as text, TTL, the signature) and read back exactly', () => {
  const frame = buildLldp({ dpid: DPID, port: 3, ttlSeconds: 120 }, GW.mac, { key: Buffer.alloc(32, 7), sentAtMs: 1_700_000_000_000 });
  assert.equal(frame.subarray(0, 14).toString('hex'), hex('0180c200000e', '020000000001', '88cc'));
  const payload = frame.subarray(14);
  assert.equal(payload.subarray(0, 2).toString('hex'), '0216', 'chassis id: type 1, 22 bytes');
  assert.equal(payload.subarray(2, 24).toString('latin1'), `\x07dpid:${DPID}`);
  assert.equal(payload.subarray(24, 28).toString('hex'), hex('0402', '07', '33'), 'port id: type 2, 2 bytes, subtype 7, "3"');
  assert.equal(payload.subarray(28, 32).toString('hex'), hex('0602', '0078'), 'ttl: type 3, 120 s');
  assert.equal(payload.subarray(32, 34).toString('hex'), hex('fe1c'), 'org-specific: type 127, 28 bytes');
  assert.equal(payload.subarray(34, 46).toString('hex'), hex('535653', '01', '0000018bcfe56800'), 'OUI "SVS", subtype 1, the time');
  assert.equal(payload.subarray(-2).toString('hex'), '0000', 'END');
  const probe = parseLldp(payload)!;
  assert.deepEqual([probe.dpid, probe.port, probe.ttlSeconds, probe.signature?.sentAtMs, probe.signature?.mac.length], [DPID, 3, 120, 1_700_000_000_000, 16]);
  assert.equal(verifyLldp(probe, Buffer.alloc(32, 7), 1_700_000_000_500, 1000), true);
});

test('LLDP parsing: each TLV counts only in its own form; what is not ours is undefined, what is cut short an error', () => {
  const chassis: [number, Buffer] = [1, sub7(`dpid:${DPID}`)];
  const port: [number, Buffer] = [2, sub7('12')];
  assert.deepEqual(parseLldp(lldpPayload([chassis, port, [3, ttl(9)]])), { dpid: DPID, port: 12, ttlSeconds: 9, signature: undefined });
  assert.equal(parseLldp(lldpPayload([chassis])), undefined, 'no port id');
  assert.equal(parseLldp(lldpPayload([port])), undefined, 'no chassis id');
  assert.equal(parseLldp(lldpPayload([[1, Buffer.concat([Buffer.from([4]), Buffer.from(`dpid:${DPID}`)])], port])), undefined, 'chassis subtype 4 (a MAC) is a real neighbour\'s');
  assert.equal(parseLldp(lldpPayload([chassis, [2, Buffer.concat([Buffer.from([3]), Buffer.from('12')])]])), undefined, 'port subtype 3 is not ours');
  for (const text of [`xdpid:${DPID}`, `dpid:${DPID}0`, 'dpid:000000000001000G', `dpid:${DPID.toUpperCase().replace('1', 'A')}`]) {
    assert.equal(parseLldp(lldpPayload([[1, sub7(text)], port])), undefined, `chassis "${text}"`);
  }
  for (const text of ['x12', '12x', '12345678901', '']) assert.equal(parseLldp(lldpPayload([chassis, [2, sub7(text)]])), undefined, `port "${text}"`);
  assert.equal(parseLldp(lldpPayload([chassis, [2, sub7('4294967295')]]))?.port, 4294967295, 'ten digits');
  assert.equal(parseLldp(lldpPayload([[2, sub7(`dpid:${DPID}`)], [1, sub7('12')]])), undefined, 'the two TLVs swapped');
  assert.equal(parseLldp(lldpPayload([chassis, port, [3, Buffer.from([0, 0, 9])]]))?.ttlSeconds, 0, 'a TTL of three bytes is ignored');
  assert.equal(parseLldp(lldpPayload([chassis, port, [4, ttl(9)]]))?.ttlSeconds, 0, 'type 4 is not a TTL');
  assert.equal(parseLldp(lldpPayload([chassis, [0, Buffer.alloc(0)], port])), undefined, 'nothing after END counts');
  assert.throws(() => parseLldp(lldpPayload([chassis, port]).subarray(0, 10)), { name: 'PacketParseError', message: 'truncated LLDP TLV' });
  assert.deepEqual(parseLldp(Buffer.concat([lldpPayload([chassis, port], false), Buffer.from([0])])), { dpid: DPID, port: 12, ttlSeconds: 0, signature: undefined }, 'a last odd byte is no TLV');
});

test('LLDP signature TLV: only OUI "SVS", subtype 1, 28 bytes, and a time that fits a safe integer', () => {
  const good = Buffer.concat([Buffer.from('53565301', 'hex'), Buffer.from('0000018bcfe56800', 'hex'), Buffer.alloc(16, 9)]);
  const base: Array<[number, Buffer]> = [[1, sub7(`dpid:${DPID}`)], [2, sub7('1')]];
  assert.equal(parseLldp(lldpPayload([...base, [127, good]]))?.signature?.sentAtMs, 1_700_000_000_000);
  const variants: Array<[string, Buffer, number]> = [
    ['another OUI', Buffer.concat([Buffer.from('005356', 'hex'), good.subarray(3)]), 127],
    ['another subtype', Buffer.concat([good.subarray(0, 3), Buffer.from([2]), good.subarray(4)]), 127],
    ['a byte short', good.subarray(0, 27), 127],
    ['not type 127', good, 126],
    ['a time past 2^53', Buffer.concat([good.subarray(0, 4), Buffer.from('0020000000000000', 'hex'), good.subarray(12)]), 127],
  ];
  for (const [why, value, type] of variants) assert.equal(parseLldp(lldpPayload([...base, [type, value]]))?.signature, undefined, why);
  const edge = Buffer.concat([good.subarray(0, 4), Buffer.from('001fffffffffffff', 'hex'), good.subarray(12)]);
  assert.equal(parseLldp(lldpPayload([...base, [127, edge]]))?.signature?.sentAtMs, Number.MAX_SAFE_INTEGER, '2^53 - 1 is still a time');
});
