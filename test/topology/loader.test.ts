import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TopologyError } from '../../src/topology/errors.js';
import { fatTree, threeTier } from '../../src/topology/generator.js';
import { MAX_TOPOLOGY_BYTES, loadTopology, parseTopology } from '../../src/topology/loader.js';
import { SMALL, expectIssue, issuesAfter } from './topology-edits.js';

test('the shipped topologies load', () => {
  const small = loadTopology('topologies/dc-small.yaml');
  assert.deepEqual([small.switches.length, small.links.length, small.subnets.length, small.hosts.length], [8, 11, 4, 9]);
  assert.equal(small.hosts.find((h) => h.name === 'client')?.external, true);
  const ft = loadTopology('topologies/fat-tree-k4.yaml');
  assert.equal(ft.switches.filter((s) => s.tier === 'core').length, 4);
  assert.equal(ft.hosts.filter((h) => !h.external).length, 16);
});

test('the committed fat-tree is what the generator makes, and generated datacenters validate', () => {
  // The committed file also names the schema for editors, on its first line.
  assert.equal(readFileSync('topologies/fat-tree-k4.yaml', 'utf8'), `# yaml-language-server: $schema=./topology.schema.json\n${fatTree(4, 2, { ipv6: true })}`);
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

// ---- what the checker used to accept (hostile input, item 15; test strength) ----------
test('a /0 subnet prefix', () => expectIssue('prefix: 10.0.4.0/24, gateway: 10.0.4.1', 'prefix: 0.0.0.0/0, gateway: 10.0.4.1', 'subnets[3].prefix', /\/0 is shorter than \/8/));
test('a /1 external prefix', () => expectIssue('prefix: 198.51.100.0/24', 'prefix: 128.0.0.0/1', 'external[0].prefix', /\/1 is shorter than \/8/));
test('a /31 subnet leaves no room', () => expectIssue('prefix: 10.0.4.0/24, gateway: 10.0.4.1', 'prefix: 10.0.4.0/31, gateway: 10.0.4.1', 'subnets[3].prefix', /\/31 leaves no room/));
test('a gateway on the broadcast address', () => expectIssue('gateway: 10.0.3.1', 'gateway: 10.0.3.255', 'subnets[2].gateway', /network or broadcast address/));
test('a host on the broadcast address', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4.255', 'hosts[7].ip', /network or broadcast address of net4/));
test('a host on the network address', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4.0', 'hosts[7].ip', /network or broadcast address of net4/));
test('a broadcast host MAC', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "ff:ff:ff:ff:ff:ff"', 'hosts[7].mac', /is a broadcast address/));
test('a multicast host MAC', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "01:00:5e:00:00:01"', 'hosts[7].mac', /is a multicast address/));
test('an all-zero host MAC', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "00:00:00:00:00:00"', 'hosts[7].mac', /all-zero MAC/));
test('the anycast gateway MAC on a host', () => expectIssue('mac: "02:00:0a:00:04:0b"', 'mac: "02:53:56:00:00:01"', 'hosts[7].mac', /anycast gateway MAC/));
test('leading zeros in a prefix', () => expectIssue('prefix: 10.0.4.0/24, gateway: 10.0.4.1', 'prefix: 010.000.004.000/24, gateway: 10.0.4.1', 'subnets[3].prefix', /is not an IPv4 prefix/));
test('leading zeros in a host address', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4.011', 'hosts[7].ip', /is not an IPv4 address/));
test('an access switch with no link', () => {
  const text = SMALL.replace('  - [acc4:1, agg1:5]\n', '').replace('  - [acc4:2, agg2:5]\n', '');
  assert.throws(() => parseTopology(text, 'x.yaml'), (e: unknown) => {
    assert.ok(e instanceof TopologyError);
    assert.deepEqual(e.issues.map((i) => [i.field, i.why, i.line]), [['switches[6].name', 'access switch acc4 has no link: its subnets could reach nothing', text.split('\n').findIndex((l) => l.includes('name: acc4')) + 1]]);
    return true;
  });
});

test('a file over the size limit is refused before it is parsed, naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-big-'));
  const file = join(dir, 'big.yaml');
  writeFileSync(file, SMALL + '#'.repeat(MAX_TOPOLOGY_BYTES));
  const before = process.memoryUsage().rss;
  assert.throws(() => loadTopology(file), (e: unknown) => e instanceof TopologyError && e.message === `${file}:0:0: (file): is ${MAX_TOPOLOGY_BYTES + SMALL.length} bytes, more than the ${MAX_TOPOLOGY_BYTES} allowed; a topology file declares switches, links, subnets and at most some ten thousand hosts`);
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'no parse happened');
  // Exactly at the limit is still read (and here fails only as YAML would).
  writeFileSync(file, SMALL + '#'.repeat(MAX_TOPOLOGY_BYTES - SMALL.length - 1) + '\n');
  assert.equal(loadTopology(file).switches.length, 8);
});

test('/dev/zero, a FIFO and a directory as the topology are refused at once, naming what they are (a FIFO never blocks the start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-fifo-'));
  const fifo = join(dir, 'topo.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [file, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO'], [dir, 'a directory']] as const) {
    assert.throws(() => loadTopology(file), (e: unknown) => e instanceof TopologyError && e.message === `${file}:0:0: (file): is not a regular file (${kind})`, file);
  }
});

test('a YAML alias bomb is refused at the alias, with its position', () => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
  assert.throws(() => parseTopology(bomb, 'bomb.yaml'), (e: unknown) => e instanceof TopologyError && /^bomb\.yaml:2:8: \(yaml\): alias \*a refused: topology files use no anchors or aliases$/.test(e.message));
});

test('3,000 levels of nesting are refused with a position, not a stack overflow', () => {
  const flow = 'switches: ' + '['.repeat(3000) + ']'.repeat(3000) + '\n';
  assert.throws(() => parseTopology(flow, 'deep.yaml'), (e: unknown) => e instanceof TopologyError && /^deep\.yaml:1:\d+: \(yaml\): nested deeper than 32 levels$/.test(e.message));
  const block = Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
  assert.throws(() => parseTopology(block, 'deep.yaml'), (e: unknown) => e instanceof TopologyError && /^deep\.yaml:\d+:\d+: \(yaml\): nested deeper than 32 levels$/.test(e.message));
  const dashes = '- '.repeat(3000) + 'x\n';
  assert.throws(() => parseTopology(dashes, 'deep.yaml'), (e: unknown) => e instanceof TopologyError && /nested deeper than 32 levels/.test(e.message));
});

test('a file with very many problems lists the first 100 and counts the rest', () => {
  const hosts = Array.from({ length: 300 }, (_, i) => `  - { name: z${i}, mac: "02:00:0b:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}", ip: 10.9.0.1, switch: acc1, port: ${100 + i} }`).join('\n');
  const text = SMALL.replace('hosts:\n', `hosts:\n${hosts}\n`);
  assert.throws(() => parseTopology(text, 'many.yaml'), (e: unknown) => {
    assert.ok(e instanceof TopologyError);
    assert.equal(e.issues.length, 101);
    assert.match(e.issues[100]!.why, /^and \d+ more problems$/);
    return true;
  });
});

// Every rule below, refused with its field and reason (each fails if its check is loosened).
test('a link that is not a pair', () => expectIssue('[core1:3, edge1:1]', '[core1:3, edge1:1, agg1:9]', 'links[2]', /^a link is a pair \[switch:port, switch:port\]$/));
test('a link end with a port that is no number', () => expectIssue('[core1:3, edge1:1]', '[core1:3, edge1:x1]', 'links[2][1]', /"edge1:x1" is not switch:port/));
test('a link end that is a number', () => expectIssue('[core1:3, edge1:1]', '[core1:3, 7]', 'links[2][1]', /"7" is not switch:port/));
test('a link port out of range', () => expectIssue('[core1:3, edge1:1]', '[core1:3, edge1:4294967041]', 'links[2][1]', /"4294967041" is not a port number \(1 to 4294967040\)/));
test('the highest port number OpenFlow allows is a port', () => {
  const t = parseTopology(SMALL.replace('[core1:3, edge1:1]', '[core1:3, edge1:4294967040]'), 'x.yaml');
  assert.equal(t.links[2]!.b.port, 4294967040);
});
test('links that are not a list', () => {
  const issues = issuesAfter('links:\n  - [core1:1, agg1:1]', 'links: 5\nxlinks:\n  - [core1:1, agg1:1]');
  assert.ok(issues.some((i) => i.field === 'links' && i.why === 'must be a list'), JSON.stringify(issues));
});
test('a switch that is not a mapping', () => expectIssue('  - { name: core1, tier: core,        dpid: "0000000000010001" }', '  - core1', 'switches[0]', /^must be a mapping of fields$/));
test('a switch field that is a list', () => expectIssue('{ name: core1, tier: core,', '{ name: [core1], tier: core,', 'switches[0].name', /^must be a string, not object$/));
test('a switch name that is no name', () => expectIssue('{ name: core1, tier: core,', '{ name: 1core, tier: core,', 'switches[0].name', /"1core" is not a name/));
test('a datapath id of zero', () => expectIssue('dpid: "0000000000010001"', 'dpid: "0000000000000000"', 'switches[0].dpid', /"0000000000000000" is not a datapath id/));
test('a datapath id of 17 hex digits', () => expectIssue('dpid: "0000000000010001"', 'dpid: "10000000000010001"', 'switches[0].dpid', /is not a datapath id/));
test('a datapath id as a number, as 0x and as colon-separated bytes', () => {
  const t = parseTopology(SMALL.replace('dpid: "0000000000010001"', 'dpid: 65537').replace('dpid: "0000000000020001"', 'dpid: "0x20001"').replace('dpid: "0000000000020002"', 'dpid: "00:00:00:00:00:02:00:02"'), 'x.yaml');
  assert.deepEqual(t.switches.slice(0, 3).map((s) => s.dpid), ['0000000000010001', '0000000000020001', '0000000000020002']);
});
test('a negative datapath id', () => expectIssue('dpid: "0000000000010001"', 'dpid: -1', 'switches[0].dpid', /"-1" is not a datapath id/));
test('a missing datapath id', () => expectIssue('{ name: core1, tier: core,        dpid: "0000000000010001" }', '{ name: core1, tier: core }', 'switches[0].dpid', /^is required$/));
test('a CoA pool that is not a range', () => expectIssue('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.200', 'subnets[1].coa_pool', /"10\.0\.2\.200" is not an address range/));
test('a CoA pool of non-addresses', () => expectIssue('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.x-10.0.2.250', 'subnets[1].coa_pool', /"10\.0\.2\.x-10\.0\.2\.250" is not a range of IPv4 addresses/));
test('a CoA pool from the network address', () => expectIssue('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.0-10.0.2.9', 'subnets[1].coa_pool', /includes the network or broadcast address/));
test('a CoA pool to the broadcast address', () => expectIssue('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.200-10.0.2.255', 'subnets[1].coa_pool', /includes the network or broadcast address/));
test('a CoA pool of one address is fine', () => {
  const t = parseTopology(SMALL.replace('coa_pool: 10.0.2.200-10.0.2.250', 'coa_pool: 10.0.2.254 - 10.0.2.254'), 'x.yaml');
  assert.deepEqual(t.subnets[1]!.coaPool, { first: '10.0.2.254', last: '10.0.2.254' });
});
test('a subnet named twice', () => expectIssue('{ name: net2, prefix', '{ name: net1, prefix', 'subnets[1].name', /subnet name "net1" is already used by subnets\[0\]\.name/));
test('a subnet on an unknown switch', () => expectIssue('gateway: 10.0.4.1, switch: acc4', 'gateway: 10.0.4.1, switch: acc9', 'subnets[3].switch', /unknown switch "acc9"/));
test('a gateway that is no address', () => expectIssue('gateway: 10.0.3.1', 'gateway: 10.0.3', 'subnets[2].gateway', /"10\.0\.3" is not an IPv4 address/));
test('a gateway on the network address', () => expectIssue('gateway: 10.0.3.1', 'gateway: 10.0.3.0', 'subnets[2].gateway', /network or broadcast address of 10\.0\.3\.0\/24/));
test('a /30 subnet is the smallest that fits', () => {
  const t = parseTopology(SMALL.replace('prefix: 10.0.4.0/24, gateway: 10.0.4.1, switch: acc4, coa_pool: 10.0.4.200-10.0.4.250', 'prefix: 10.0.4.0/30, gateway: 10.0.4.1, switch: acc4, coa_pool: 10.0.4.2-10.0.4.2').replace(/ {2}- \{ name: h4[12].*\n/g, ''), 'x.yaml');
  assert.equal(t.subnets[3]!.prefix, '10.0.4.0/30');
});
test('a /8 is the widest prefix', () => {
  const t = parseTopology(SMALL.replace('prefix: 198.51.100.0/24', 'prefix: 198.0.0.0/8'), 'x.yaml');
  assert.equal(t.externals[0]!.prefix, '198.0.0.0/8');
});
test('an external network with a subnet\'s name', () => expectIssue('  - name: internet', '  - name: net1', 'external[0].name', /name "net1" is already a subnet/));
test('external hosts that are not a list', () => expectIssue('    hosts:\n', '    hosts: 5\n    xhosts:\n', 'external[0].hosts', /^must be a list$/));
test('an external host that is not a mapping', () => expectIssue('      - { name: client, mac: "02:00:c6:33:64:0a", ip: 198.51.100.10, port: 2, ip6: "2001:db8:100::10" }', '      - client', 'external[0].hosts[0]', /^must be a mapping of fields$/));
test('an external host on another switch than its edge', () => expectIssue('ip: 198.51.100.10, port: 2', 'ip: 198.51.100.10, switch: core1, port: 4', 'external[0].hosts[0].switch', /a host of internet sits on its edge switch edge1/));
test('a host without a port', () => expectIssue('ip: 10.0.4.11, switch: acc4, port: 4', 'ip: 10.0.4.11, switch: acc4', 'hosts[7].port', /^is required$/));
test('a host on an unknown switch', () => expectIssue('ip: 10.0.4.11, switch: acc4', 'ip: 10.0.4.11, switch: acc9', 'hosts[7].switch', /unknown switch "acc9"/));
test('a host address that is no address', () => expectIssue('ip: 10.0.4.11', 'ip: 10.0.4', 'hosts[7].ip', /"10\.0\.4" is not an IPv4 address/));
test('a subnet host in an external network', () => expectIssue('ip: 10.0.4.11, switch: acc4', 'ip: 198.51.100.20, switch: acc4', 'hosts[7].ip', /198\.51\.100\.20 belongs to external network internet/));
test('a host named like a switch', () => expectIssue('{ name: h42,', '{ name: acc4,', 'hosts[7].name', /"acc4" is already a switch name/));
test('a host named twice', () => expectIssue('{ name: h42,', '{ name: h41,', 'hosts[7].name', /host name "h41" is already used by hosts\[6\]\.name/));
test('a host on a switch port that is taken by another host', () => expectIssue('ip: 10.0.4.11, switch: acc4, port: 4', 'ip: 10.0.4.11, switch: acc4, port: 3', 'hosts[7].port', /port acc4:3 is already used by hosts\[6\]\.port/));
test('a file that is not a mapping', () => {
  assert.throws(() => parseTopology('- just\n- a list\n', 'list.yaml'), (e: unknown) => e instanceof TopologyError && e.issues[0]!.why === 'a topology file is a mapping with switches, links, subnets, hosts and external');
});
test('the name is the file\'s when the file has none', () => {
  assert.equal(parseTopology(SMALL.replace('name: dc-small\n', ''), 'mine.yaml').name, 'mine.yaml');
  assert.equal(parseTopology(SMALL, 'mine.yaml').name, 'dc-small');
});
test('nesting is counted through quotes, comments and flow collections, not fooled by them', () => {
  // Brackets inside quotes and comments do not nest; the file still loads.
  const t = parseTopology(SMALL.replace('name: dc-small', 'name: "dc-[{small"  # [[[ {{{'), 'x.yaml');
  assert.equal(t.name, 'dc-[{small');
  const deep = `name: x\ndescription: ${'['.repeat(70)}${']'.repeat(70)}\n`;
  assert.throws(() => parseTopology(deep, 'deep.yaml'), (e: unknown) => e instanceof TopologyError && /deep\.yaml:2:\d+: \(yaml\): nested deeper than 32 levels/.test(e.message));
});

const HV_LINE = 'hosts:\n';
const withHypervisor = (hosts: string, hv = '  - { name: hv1, switch: acc1, port: 5 }'): string => SMALL.replace(HV_LINE, `hypervisors:\n${hv}\n${HV_LINE}${hosts}`);

test('hypervisors: several hosts behind one access port, each at the hypervisor\'s switch and port', () => {
  const t = parseTopology(withHypervisor('  - { name: va, mac: "02:00:0a:00:01:14", ip: 10.0.1.20, hypervisor: hv1 }\n  - { name: vb, mac: "02:00:0a:00:01:15", ip: 10.0.1.21, hypervisor: hv1 }\n'), 'hv.yaml');
  assert.deepEqual(t.hypervisors, [{ name: 'hv1', switch: 'acc1', port: 5 }]);
  assert.deepEqual(t.hosts.filter((h) => h.hypervisor).map((h) => [h.name, h.switch, h.port, h.hypervisor, h.network]), [['va', 'acc1', 5, 'hv1', 'net1'], ['vb', 'acc1', 5, 'hv1', 'net1']]);
  assert.equal(t.hosts.find((h) => h.name === 'h11')!.hypervisor, undefined);
});

test('hypervisors: what is refused, with the field and why', () => {
  const issues = (text: string): string[] => {
    try {
      parseTopology(text, 'hv.yaml');
    } catch (e) {
      return (e as TopologyError).issues.map((i) => `${i.field}: ${i.why}`);
    }
    return [];
  };
  const va = (extra: string): string => `  - { name: va, mac: "02:00:0a:00:01:14", ip: 10.0.1.20, ${extra} }\n`;
  assert.deepEqual(issues(withHypervisor(va('hypervisor: hv9'))), ['hosts[0].hypervisor: unknown hypervisor "hv9"']);
  assert.deepEqual(issues(withHypervisor(va('hypervisor: hv1, port: 5'))), ['hosts[0].port: a host behind hypervisor hv1 is at its port: give one or the other']);
  assert.deepEqual(issues(withHypervisor(va('switch: acc1, port: 5'))), ['hosts[0].port: port acc1:5 is already used by hypervisors[0].port']);
  assert.deepEqual(issues(withHypervisor(va('hypervisor: hv1'), '  - { name: hv1, switch: agg1, port: 9 }')), ['hypervisors[0].switch: agg1 is aggregation; a hypervisor plugs into an access switch', 'hosts[0].hypervisor: unknown hypervisor "hv1"']);
  assert.deepEqual(issues(withHypervisor(va('hypervisor: hv1'), '  - { name: hv1, switch: acc1, port: 1 }')), ['hypervisors[0].port: port acc1:1 is already used by links[3][0]']);
  assert.deepEqual(issues(withHypervisor(va('hypervisor: hv1'), '  - { name: acc2, switch: acc1, port: 5 }')).length, 2, 'a hypervisor named like a switch (and its hosts then name an unknown one)');
});

test('unknown fields are refused at every level, a near miss named, and each mistake is one error (a misspelt field is not also missing, a broken switch is not also unknown to its links, subnet and hosts)', () => {
  const one = (find: string, replace: string, field: string, why: string): void => {
    const issues = issuesAfter(find, replace);
    assert.deepEqual(issues.map((i) => [i.field, i.why]), [[field, why]], `${replace}:\n${issues.map((i) => `${i.field}: ${i.why}`).join('\n')}`);
    expectIssue(find, replace, field, new RegExp(why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  };
  one('{ name: acc1,  tier: access,', '{ name: acc1,  teir: access,', 'switches[3].teir', 'unknown field: did you mean "tier"?');
  one('prefix: 10.0.1.0/24, gateway: 10.0.1.1', 'prefix: 10.0.1.0/24, gatway: 10.0.1.1', 'subnets[0].gatway', 'unknown field: did you mean "gateway"?');
  one('{ name: h12, mac', '{ name: h12, vlan: 7, mac', 'hosts[1].vlan', 'unknown field (expected one of name, mac, ip, ip6, switch, port, hypervisor, description)');
  one('{ name: edge1, tier: edge,', '{ name: edge1, tier: edge, rack: 4,', 'switches[7].rack', 'unknown field (expected one of name, tier, dpid, table_budget, description)');
  one('prefix: 198.51.100.0/24', 'mtu: 9000\n    prefix: 198.51.100.0/24', 'external[0].mtu', 'unknown field (expected one of name, prefix, gateway, switch, prefix6, gateway6, hosts, description)');
  // A note for people is a field everywhere.
  parseTopology(SMALL.replace('{ name: acc1,  tier: access,', '{ name: acc1,  description: "rack 12", tier: access,'), 'noted.yaml');
});

test('a datapath id written as a bare number with leading zeros (YAML reads it as decimal) is refused with how to write it', () => {
  const issues = issuesAfter('dpid: "0000000000030004"', 'dpid: 0000000000030004');
  assert.deepEqual(issues.map((i) => [i.field, i.why]), [['switches[6].dpid', '0000000000030004 is read as the decimal number 30004: quote it ("0000000000030004") for hex digits, or write 0x30004']]);
  // A bare number without leading zeros is a decimal dpid, as before.
  assert.equal(parseTopology(SMALL.replace('dpid: "0000000000030004"', 'dpid: 196612'), 'decimal.yaml').switches[6]!.dpid, '0000000000030004');
});

test('a switch\'s table budget: an integer from 64 to 10,000,000, kept as tableBudget; none by default', () => {
  const t = parseTopology(SMALL.replace('{ name: acc2,  tier: access,      dpid: "0000000000030002" }', '{ name: acc2,  tier: access,      dpid: "0000000000030002", table_budget: 4096 }'), 'x.yaml');
  assert.equal(t.switches.find((s) => s.name === 'acc2')!.tableBudget, 4096);
  assert.equal('tableBudget' in t.switches.find((s) => s.name === 'acc1')!, false);
});
for (const bad of ['10', '1.5', '"4096"', '20000000']) {
  test(`a table budget of ${bad}`, () => expectIssue('dpid: "0000000000030002" }', `dpid: "0000000000030002", table_budget: ${bad} }`, 'switches[4].table_budget', /is not a table budget \(an integer, 64 to 10000000\)/));
}
