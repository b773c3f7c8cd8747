import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARP_OP, arpFrame, buildEthernet, ETH_TYPE } from '../../src/packet/index.js';
import { SightingCache } from '../../src/topology/sighting-cache.js';

const request = (mac: string, ip: string): Buffer =>
  arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: ip, targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' });

test('a sighting is unchanged only at the same switch, port, address and host-table version', () => {
  const c = new SightingCache();
  const frame = request('02:00:0a:00:01:0a', '10.0.1.10');
  assert.equal(c.unchanged('acc1', 3, frame, 7), false, 'nothing remembered yet');
  c.remember('acc1', 3, frame, 7);
  assert.equal(c.unchanged('acc1', 3, frame, 7), true);
  assert.equal(c.unchanged('acc1', 3, frame, 8), false, 'the host table changed since');
  assert.equal(c.unchanged('acc1', 4, frame, 7), false, 'another port');
  assert.equal(c.unchanged('acc2', 3, frame, 7), false, 'another switch');
  assert.equal(c.unchanged('acc1', 3, request('02:00:0a:00:01:0a', '10.0.1.11'), 7), false, 'another address');
  assert.equal(c.unchanged('acc1', 3, request('02:00:0a:00:01:0b', '10.0.1.10'), 7), false, 'another MAC');
});

test('frames that name no sender the cache can read are never taken as seen', () => {
  const c = new SightingCache();
  const rarp = arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '0.0.0.0', targetMac: '02:00:0a:00:01:0a', targetIp: '0.0.0.0' });
  const other = buildEthernet('ff:ff:ff:ff:ff:ff', '02:00:0a:00:01:0a', ETH_TYPE.IPV6, Buffer.alloc(40));
  const short = request('02:00:0a:00:01:0a', '10.0.1.10').subarray(0, 30);
  for (const f of [rarp, other, short]) {
    c.remember('acc1', 3, f, 1);
    assert.equal(c.unchanged('acc1', 3, f, 1), false);
  }
});

test('the cache forgets everything when it is full, rather than grow', () => {
  const c = new SightingCache(2);
  const frames = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'].map((m, i) => request(m, `10.0.1.${i + 10}`));
  for (const f of frames) c.remember('acc1', 3, f, 1);
  assert.deepEqual(frames.map((f) => c.unchanged('acc1', 3, f, 1)), [false, false, true]);
});

/** An IPv4 frame from `mac` with source address `ip` (a 20-byte header, no payload). */
function ipv4(mac: string, ip: string): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20, 2);
  header[8] = 64;
  header[9] = 1;
  Buffer.from(ip.split('.').map(Number)).copy(header, 12);
  Buffer.from([10, 0, 3, 10]).copy(header, 16);
  return buildEthernet('02:53:56:00:00:01', mac, ETH_TYPE.IPV4, header);
}

test('IPv4 frames are sightings too: keyed by source MAC and source address', () => {
  const c = new SightingCache();
  const frame = ipv4('02:00:0a:00:01:0a', '10.0.1.10');
  c.remember('acc1', 3, frame, 5);
  assert.equal(c.unchanged('acc1', 3, frame, 5), true);
  assert.equal(c.unchanged('acc1', 3, ipv4('02:00:0a:00:01:0a', '10.0.1.12'), 5), false, 'another source address');
  assert.equal(c.unchanged('acc1', 3, ipv4('02:00:0a:00:01:0b', '10.0.1.10'), 5), false, 'another MAC');
  // An ARP from the same host with the same address is the same sighting (same MAC and IP).
  assert.equal(c.unchanged('acc1', 3, request('02:00:0a:00:01:0a', '10.0.1.10'), 5), true);
});

test('a hit refreshes the host record\'s last sighting (idle hosts age out; busy ones must not)', () => {
  const c = new SightingCache();
  const record = { lastSeen: 0 };
  const frame = request('02:00:0a:00:01:0a', '10.0.1.10');
  c.remember('acc1', 3, frame, 1, record);
  const before = Date.now();
  assert.equal(c.unchanged('acc1', 3, frame, 1), true);
  assert.ok(record.lastSeen >= before);
  record.lastSeen = 0;
  assert.equal(c.unchanged('acc1', 3, frame, 2), false);
  assert.equal(record.lastSeen, 0, 'a miss refreshes nothing');
});
