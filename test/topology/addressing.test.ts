import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contains, intToIp, ipToInt, netmask, overlaps, parsePrefix } from '../../src/topology/cidr.js';
import { planDiscovery, DISCOVERY_COOKIE } from '../../src/topology/discovery-planner.js';
import { loadTopology } from '../../src/topology/loader.js';
import { linkPortsOf } from '../../src/topology/model.js';
import { networkOf, networksOf, prefixMatch } from '../../src/topology/networks.js';
import { PIPELINE } from '../../src/controller/pipeline.js';

/** Prefix arithmetic, networks, link ports and the discovery planner: exact values at the edges. */

test('dotted quads: exact numbers at the edges; leading zeros, short forms and octets past 255 refused', () => {
  assert.equal(ipToInt('0.0.0.0'), 0);
  assert.equal(ipToInt('255.255.255.255'), 0xffffffff);
  assert.equal(ipToInt('10.0.1.2'), 0x0a000102);
  assert.equal(ipToInt('128.0.0.1'), 0x80000001, 'unsigned, not negative');
  for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.1.2', '256.0.0.1', '10.0.0.-1', ' 10.0.0.1', '10.0.0.1 ', '', 'a.b.c.d', '1000.0.0.1']) assert.equal(ipToInt(bad), undefined, bad);
  assert.equal(intToIp(0x80000001), '128.0.0.1');
  assert.equal(intToIp(0xffffffff), '255.255.255.255');
  assert.equal(intToIp(0x0a0b0c0d), '10.11.12.13');
});

test('prefixes: first and last address, /0 and /32, host bits and malformed lengths refused with the reason', () => {
  assert.deepEqual(parsePrefix('10.0.1.0/24'), { network: 0x0a000100, length: 24, first: 0x0a000100, last: 0x0a0001ff });
  assert.deepEqual(parsePrefix('0.0.0.0/0'), { network: 0, length: 0, first: 0, last: 0xffffffff });
  assert.deepEqual(parsePrefix('10.0.0.7/32'), { network: 0x0a000007, length: 32, first: 0x0a000007, last: 0x0a000007 });
  assert.deepEqual(parsePrefix('128.0.0.0/1'), { network: 0x80000000, length: 1, first: 0x80000000, last: 0xffffffff });
  assert.equal(parsePrefix('10.0.1.1/24'), '"10.0.1.1/24" has host bits set (the network is 10.0.1.0/24)');
  for (const bad of ['10.0.1.0/33', '10.0.1.0/', '10.0.1.0', '10.0.1.0/24/1', '10.0.1.0/024', '10.0.1.0/2a', '010.0.1.0/24', '10.0.1.0/-1']) {
    assert.equal(parsePrefix(bad), `"${bad}" is not an IPv4 prefix such as 10.0.1.0/24`, bad);
  }
  const p = parsePrefix('10.0.1.0/24');
  assert.ok(typeof p !== 'string');
  assert.deepEqual([0x0a0000ff, 0x0a000100, 0x0a0001ff, 0x0a000200].map((ip) => contains(p, ip)), [false, true, true, false]);
  assert.deepEqual([netmask(0), netmask(1), netmask(24), netmask(31), netmask(32)], ['0.0.0.0', '128.0.0.0', '255.255.255.0', '255.255.255.254', '255.255.255.255']);
});

test('ranges overlap when they share one address, and only then', () => {
  const r = (first: number, last: number) => ({ first, last });
  assert.equal(overlaps(r(1, 5), r(5, 9)), true, 'touching at 5');
  assert.equal(overlaps(r(5, 9), r(1, 5)), true);
  assert.equal(overlaps(r(1, 4), r(5, 9)), false);
  assert.equal(overlaps(r(6, 9), r(1, 5)), false);
  assert.equal(overlaps(r(1, 9), r(3, 4)), true, 'one inside the other');
});

test('networks: subnets then external networks, each with its range; an address maps to the network that holds it', () => {
  const t = loadTopology('topologies/dc-small.yaml');
  const nets = networksOf(t);
  assert.deepEqual(nets.map((n) => `${n.name} ${n.prefix} ${n.switch}${n.external ? ' external' : ''}`), ['net1 10.0.1.0/24 acc1', 'net2 10.0.2.0/24 acc2', 'net3 10.0.3.0/24 acc3', 'net4 10.0.4.0/24 acc4', 'internet 198.51.100.0/24 edge1 external']);
  assert.deepEqual(nets[0]!.range, { network: 0x0a000100, length: 24, first: 0x0a000100, last: 0x0a0001ff });
  assert.equal(nets[0]!.gateway, '10.0.1.1');
  assert.equal(networkOf(nets, '10.0.3.77')?.name, 'net3');
  assert.equal(networkOf(nets, '198.51.100.10')?.name, 'internet');
  assert.equal(networkOf(nets, '10.0.5.1'), undefined);
  assert.equal(networkOf(nets, 'not an address'), undefined);
  assert.deepEqual(prefixMatch(nets[1]!), { value: '10.0.2.0', mask: '255.255.255.0' });
});

test('link ports of a switch, in declaration order; none for a switch with no link or no such switch', () => {
  const t = loadTopology('topologies/dc-small.yaml');
  assert.deepEqual(linkPortsOf(t, 'agg1'), [1, 2, 3, 4, 5]);
  assert.deepEqual(linkPortsOf(t, 'acc3'), [1, 2]);
  assert.deepEqual(linkPortsOf(t, 'core1'), [1, 2, 3]);
  assert.deepEqual(linkPortsOf(t, 'nosuch'), []);
  assert.equal(linkPortsOf(t, 'agg1'), linkPortsOf(t, 'agg1'), 'indexed once per topology');
});

test('discovery: LLDP from declared link ports to the controller, LLDP elsewhere dropped; without a file, LLDP and the table miss to the controller', () => {
  const P = PIPELINE.discovery.priority;
  const toController = [{ type: 4, actions: [{ type: 0, port: 0xfffffffd, maxLen: 0xffff }] }];
  assert.deepEqual(planDiscovery([1, 2]), {
    flows: [
      { tableId: 0, priority: P.lldp, cookie: DISCOVERY_COOKIE, match: { in_port: 1, eth_type: 0x88cc }, instructions: toController },
      { tableId: 0, priority: P.lldp, cookie: DISCOVERY_COOKIE, match: { in_port: 2, eth_type: 0x88cc }, instructions: toController },
      { tableId: 0, priority: P.lldpDrop, cookie: DISCOVERY_COOKIE, match: { eth_type: 0x88cc }, instructions: [] },
    ],
    groups: [],
  });
  assert.deepEqual(planDiscovery(undefined), {
    flows: [
      { tableId: 0, priority: P.lldp, cookie: DISCOVERY_COOKIE, match: { eth_type: 0x88cc }, instructions: toController },
      { tableId: 0, priority: P.tableMiss, cookie: DISCOVERY_COOKIE, match: {}, instructions: toController },
    ],
    groups: [],
  });
  assert.deepEqual(planDiscovery([]).flows.length, 1, 'a switch with no link drops every LLDP');
  assert.ok(P.lldp > P.lldpDrop && P.lldpDrop > P.tableMiss, 'the port rule above the drop, both above the table miss');
});
