import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TopologyError } from '../../src/topology/errors.js';
import { fatTree, threeTier } from '../../src/topology/generator.js';
import { loadTopology, parseTopology } from '../../src/topology/loader.js';

const SMALL = readFileSync('topologies/dc-small.yaml', 'utf8');

/** Replaces one line of dc-small (found by its text) and returns the resulting issues. */
function issuesAfter(find: string, replace: string): TopologyError['issues'] {
  assert.ok(SMALL.includes(find), `dc-small has no "${find}"`);
  try {
    parseTopology(SMALL.replace(find, replace), 'dc-small-edited.yaml');
  } catch (e) {
    assert.ok(e instanceof TopologyError, String(e));
    return e.issues;
  }
  assert.fail('the edited file was accepted');
}

function expectIssue(find: string, replace: string, field: string, why: RegExp): void {
  const issues = issuesAfter(find, replace);
  const hit = issues.find((i) => i.field === field && why.test(i.why));
  assert.ok(hit, `no issue on ${field} matching ${why}; got:\n${issues.map((i) => `${i.field}: ${i.why}`).join('\n')}`);
  assert.equal(hit.file, 'dc-small-edited.yaml');
  // The line points at the edited text.
  const line = SMALL.replace(find, replace).split('\n')[hit.line - 1] ?? '';
  assert.ok(line.includes(replace.trim().split(/[\s,{}[\]]+/).find((w) => w.length > 2) ?? ''), `line ${hit.line} is "${line}"`);
}

test('the shipped topologies load', () => {
  const small = loadTopology('topologies/dc-small.yaml');
  assert.deepEqual([small.switches.length, small.links.length, small.subnets.length, small.hosts.length], [8, 11, 4, 9]);
  assert.equal(small.hosts.find((h) => h.name === 'client')?.external, true);
  const ft = loadTopology('topologies/fat-tree-k4.yaml');
  assert.equal(ft.switches.filter((s) => s.tier === 'core').length, 4);
  assert.equal(ft.hosts.filter((h) => !h.external).length, 16);
});

test('the committed fat-tree is what the generator makes, and generated datacenters validate', () => {
  assert.equal(readFileSync('topologies/fat-tree-k4.yaml', 'utf8'), fatTree(4));
  const big = parseTopology(threeTier({ cores: 4, aggregations: 8, accessPerAggregation: 6, hostsPerAccess: 5 }), 'gen.yaml');
  assert.equal(big.switches.length, 4 + 8 + 48 + 1);
  assert.equal(big.hosts.length, 48 * 5 + 1);
  assert.equal(parseTopology(fatTree(8), 'ft8.yaml').switches.length, 16 + 64 + 1);
  assert.throws(() => fatTree(3), /even/);
});

test('unknown switch in a link', () => expectIssue('[acc4:2, agg2:5]', '[acc4:2, agg9:5]', 'links[10][1]', /unknown switch "agg9"/));
test('port used twice by two links', () => expectIssue('[acc4:2, agg2:5]', '[acc4:2, agg2:4]', 'links[10][1]', /port agg2:4 is already used by links\[8\]\[1\]/));
test('port used by a link and a host', () => expectIssue('ip: 10.0.1.11, switch: acc1, port: 4', 'ip: 10.0.1.11, switch: acc1, port: 2', 'hosts[1].port', /port acc1:2 is already used by links\[4\]\[0\]/));
test('a link that is not switch:port', () => expectIssue('[core1:3, edge1:1]', '[core1:3, edge1]', 'links[2][1]', /is not switch:port/));
test('a link to itself', () => expectIssue('[core1:3, edge1:1]', '[core1:3, core1:4]', 'links[2]', /cannot join switch core1 to itself/));
test('overlapping subnets', () => expectIssue('prefix: 10.0.2.0/24, gateway: 10.0.2.1', 'prefix: 10.0.0.0/16, gateway: 10.0.2.1', 'subnets[1].prefix', /overlaps net1/));
test('gateway outside its prefix', () => expectIssue('gateway: 10.0.3.1', 'gateway: 10.0.9.1', 'subnets[2].gateway', /10\.0\.9\.1 is outside its prefix 10\.0\.3\.0\/24/));
test('prefix with host bits', () => expectIssue('prefix: 10.0.4.0/24', 'prefix: 10.0.4.7/24', 'subnets[3].prefix', /host bits set/));
test('CoA pool overlapping a host', () => expectIssue('coa_pool: 10.0.1.200-10.0.1.250', 'coa_pool: 10.0.1.5-10.0.1.50', 'subnets[0].coa_pool', /includes host h11 \(10\.0\.1\.10\)/));
test('CoA pool with the gateway', () => expectIssue('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.1-10.0.2.5', 'subnets[1].coa_pool', /includes the gateway 10\.0\.2\.1/));
test('CoA pool outside the subnet', () => expectIssue('coa_pool: 10.0.3.200-10.0.3.250', 'coa_pool: 10.0.3.200-10.0.4.250', 'subnets[2].coa_pool', /not inside 10\.0\.3\.0\/24/));
test('CoA pool reversed', () => expectIssue('coa_pool: 10.0.4.200-10.0.4.250', 'coa_pool: 10.0.4.250-10.0.4.200', 'subnets[3].coa_pool', /ends before it starts/));
test('subnet served by a non-access switch', () => expectIssue('gateway: 10.0.4.1, switch: acc4', 'gateway: 10.0.4.1, switch: agg2', 'subnets[3].switch', /agg2 is a aggregation switch; a subnet is served by an access switch/));
test('unknown tier', () => expectIssue('tier: edge,', 'tier: border,', 'switches[7].tier', /"border" is not one of core, aggregation, access, edge/));
test('duplicate datapath id', () => expectIssue('dpid: "0000000000020002"', 'dpid: "0000000000020001"', 'switches[2].dpid', /datapath id "0000000000020001" is already used by switches\[1\]\.dpid/));
test('invalid datapath id', () => expectIssue('dpid: "0000000000040001"', 'dpid: "edge-one"', 'switches[7].dpid', /not a datapath id/));
test('duplicate switch name', () => expectIssue('{ name: acc4,  tier: access', '{ name: acc3,  tier: access', 'switches[6].name', /switch name "acc3" is already used/));
test('host IP in no subnet', () => expectIssue('ip: 10.0.4.11', 'ip: 10.9.4.11', 'hosts[7].ip', /in no subnet or external network/));
test('host on the wrong access switch', () => expectIssue('ip: 10.0.4.11, switch: acc4', 'ip: 10.0.4.11, switch: acc3', 'hosts[7].switch', /10\.0\.4\.11 is in net4, served by acc4, not acc3/));
test('host with the gateway address', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4.1', 'hosts[7].ip', /is the gateway of net4/));
test('duplicate MAC', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "02:00:0a:00:04:0a"', 'hosts[7].mac', /MAC address "02:00:0a:00:04:0a" is already used by hosts\[6\]\.mac/));
test('bad MAC', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "02:00:0a:00:04"', 'hosts[7].mac', /is not a MAC address/));
test('duplicate IP', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4.10', 'hosts[7].ip', /IP address "10\.0\.4\.10" is already used/));
test('port out of range', () => expectIssue('ip: 10.0.4.11, switch: acc4, port: 4', 'ip: 10.0.4.11, switch: acc4, port: 0', 'hosts[7].port', /not a port number/));
test('external network behind a non-edge switch', () => expectIssue('switch: edge1\n', 'switch: core1\n', 'external[0].switch', /core1 is a core switch; external networks are reached through an edge switch/));
test('external host outside its network', () => expectIssue('ip: 198.51.100.10', 'ip: 10.0.1.99', 'external[0].hosts[0].ip', /belongs to subnet net1/));
test('unknown top-level field', () => expectIssue('hosts:\n', 'hostz:\n', 'hostz', /unknown field/));
test('missing required field', () => expectIssue('{ name: h42, mac: "02:00:0a:00:04:0b", ', '{ name: h42, ', 'hosts[7].mac', /is required/));
test('YAML syntax errors are reported with a position', () => {
  const issues = issuesAfter('[acc4:2, agg2:5]', '[acc4:2, agg2:5');
  assert.equal(issues[0]?.field, '(yaml)');
  assert.ok(issues[0]!.line > 0);
});
test('an unreadable file names itself', () => {
  assert.throws(() => loadTopology('topologies/no-such-file.yaml'), (e: unknown) => e instanceof TopologyError && /no-such-file\.yaml:0:0: \(file\): cannot read/.test(e.message));
});
test('every problem is reported at once, each as file:line:column: field: why', () => {
  const text = SMALL.replace('[acc4:2, agg2:5]', '[acc4:2, agg9:5]').replace('gateway: 10.0.3.1', 'gateway: 10.0.9.1');
  assert.throws(() => parseTopology(text, 'x.yaml'), (e: unknown) => {
    assert.ok(e instanceof TopologyError);
    assert.equal(e.issues.length, 2);
    assert.match(e.message, /^x\.yaml:\d+:\d+: links\[10\]\[1\]: unknown switch "agg9"$/m);
    assert.match(e.message, /^x\.yaml:\d+:\d+: subnets\[2\]\.gateway: 10\.0\.9\.1 is outside/m);
    return true;
  });
});
