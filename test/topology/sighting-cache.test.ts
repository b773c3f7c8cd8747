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
