import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPolicy } from '../../src/topology/host-policy.js';
import { loadTopology } from '../../src/topology/loader.js';

const policy = new HostPolicy(loadTopology('topologies/dc-small.yaml'));
const at = (sw: string) => ({ switch: sw, port: 9 });

test('an address is learned only inside a subnet its switch serves, never a gateway, never malformed', () => {
  assert.equal(policy.refuseAddress('10.0.1.77', at('acc1')), undefined);
  assert.equal(policy.refuseAddress('10.0.1.0', at('acc1')), undefined, 'the policy leaves network/broadcast to ARP semantics');
  assert.equal(policy.refuseAddress('10.0.1.77', at('acc2')), '10.0.1.77 is outside the subnets of acc2');
  assert.equal(policy.refuseAddress('10.0.1.1', at('acc1')), '10.0.1.1 is a gateway address');
  assert.equal(policy.refuseAddress('10.0.3.1', at('acc1')), '10.0.3.1 is a gateway address');
  assert.equal(policy.refuseAddress('198.51.100.77', at('edge1')), undefined, 'an external network is served by its edge switch');
  assert.equal(policy.refuseAddress('198.51.100.77', at('acc1')), '198.51.100.77 is outside the subnets of acc1');
  assert.equal(policy.refuseAddress('10.0.1.77', at('agg1')), '10.0.1.77 is outside the subnets of agg1', 'an aggregation switch serves no subnet');
  assert.equal(policy.refuseAddress('10.0.1.077', at('acc1')), '"10.0.1.077" is not an IPv4 address');
});

test('without a topology file any well-formed address is taken', () => {
  const open = new HostPolicy(undefined);
  assert.equal(open.refuseAddress('10.0.1.1', at('00000000000000a1')), undefined);
  assert.equal(open.refuseAddress('nonsense', at('00000000000000a1')), '"nonsense" is not an IPv4 address');
});

test('a switch that serves two subnets takes addresses of both, and of neither other', () => {
  const file = loadTopology('topologies/dc-small.yaml');
  const two = new HostPolicy({ ...file, subnets: [...file.subnets, { name: 'net5', prefix: '10.0.5.0/24', gateway: '10.0.5.1', switch: 'acc1', coaPool: { first: '10.0.5.200', last: '10.0.5.250' } }] });
  assert.equal(two.refuseAddress('10.0.1.77', at('acc1')), undefined, 'its first subnet');
  assert.equal(two.refuseAddress('10.0.5.77', at('acc1')), undefined, 'its second subnet');
  assert.equal(two.refuseAddress('10.0.2.77', at('acc1')), '10.0.2.77 is outside the subnets of acc1');
  assert.equal(two.refuseAddress('10.0.5.1', at('acc1')), '10.0.5.1 is a gateway address');
});
