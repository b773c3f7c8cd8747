import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hostPacket } from '../../src/fabric/trace-service.js';
import { networksOf } from '../../src/topology/networks.js';
import type { TraceHop, TracedPacket } from '../../src/topology/trace.js';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { appctl } from '../../lab/ovs.js';
import type { MigrationMode } from '../../src/migration/binding-store.js';

/**
 * `svcswitch trace` against `ovs-appctl ofproto/trace`: for every pair of hosts (the external
 * client included), each hop the simulator reports is traced on the real bridge with the
 * same packet, and the output port and rewritten headers must agree. At a select group,
 * ofproto/trace leaves the bucket to the datapath's hash (recirculation); the test then asks
 * OVS for every hash value and compares the set of ports with the simulator's live buckets.
 */

/** The ofproto/trace flow of an ICMP echo (in IPv4 or IPv6) as the simulator holds it. */
const flowSpec = (inPort: number, p: TracedPacket): string =>
  p.ipv6
    ? `in_port=${inPort},icmp6,dl_src=${p.eth_src},dl_dst=${p.eth_dst},ipv6_src=${p.ipv6.src},ipv6_dst=${p.ipv6.dst},nw_ttl=${p.ttl},icmpv6_type=128,icmpv6_code=0`
    : `in_port=${inPort},icmp,dl_src=${p.eth_src},dl_dst=${p.eth_dst},nw_src=${p.ipv4_src},nw_dst=${p.ipv4_dst},nw_ttl=${p.ttl},icmp_type=8,icmp_code=0`;

/** Header fields from a "Final flow:" line (or the input's, when OVS says unchanged). */
function finalFlow(text: string, input: TracedPacket): TracedPacket {
  const line = /^Final flow: (.*)$/m.exec(text)?.[1] ?? '';
  if (line === 'unchanged') return input;
  const field = (k: string): string | undefined => new RegExp(`(?:^|,)${k}=([^,]+)`).exec(line)?.[1];
  const v6 = field('ipv6_src') === undefined ? {} : { ipv6: { src: field('ipv6_src')!, dst: field('ipv6_dst')! } };
  return { eth_src: field('dl_src'), eth_dst: field('dl_dst'), ipv4_src: field('nw_src'), ipv4_dst: field('nw_dst'), ttl: Number(field('nw_ttl')), ...v6 };
}

interface OvsHop {
  ports: Array<number | 'controller'>;
  packet: TracedPacket;
}

/** What OVS does with the packet at one bridge; `groupPorts` caches the ports of each select group (per network). */
async function ovsHop(bridge: string, inPort: number, input: TracedPacket, groupPorts: Map<string, number[]>): Promise<OvsHop> {
  const text = await appctl('ofproto/trace', bridge, flowSpec(inPort, input));
  const packet = finalFlow(text, input);
  const table = text.slice(0, text.indexOf('Final flow:'));
  if (/no live bucket/.test(table)) {
    const group = /group:(\d+)/.exec(table)?.[1] ?? '?';
    const key = `${bridge}/${group}`;
    if (!groupPorts.has(key)) {
      const recirc = /recirc\((0x[0-9a-f]+)\)/.exec(text)?.[1];
      assert.ok(recirc, `${bridge}: a select group without recirculation:\n${text}`);
      const ports = new Set<number>();
      for (let hash = 1; hash <= 16; hash++) {
        const again = await appctl('ofproto/trace', bridge, `recirc_id=${recirc},dp_hash=${hash},${flowSpec(inPort, packet)}`);
        for (const m of again.matchAll(/output:(\d+)/g)) ports.add(Number(m[1]));
      }
      groupPorts.set(key, [...ports].sort((a, b) => a - b));
    }
    return { ports: groupPorts.get(key)!, packet };
  }
  const ports: Array<number | 'controller'> = [...table.matchAll(/^\s+output:(\d+)$/gm)].map((m) => Number(m[1]));
  // An output to IN_PORT (a migration's hairpin at the Home switch) is listed as in_port.
  if (/^\s+(output:)?in_port$/im.test(table)) ports.push(inPort);
  if (/CONTROLLER:/.test(table)) ports.push('controller');
  return { ports, packet };
}

/** Every pair of hosts (in IPv6, every dual-stack pair, by their IPv6 addresses), hop by hop against ofproto/trace. */
async function compareAllPairs(f: Fabric, family: 4 | 6 = 4): Promise<{ pairs: number; hops: number }> {
  const topology = f.app.topology.declared!;
  const hosts = f.app.topology.hostList();
  const networks = networksOf(topology);
  let pairs = 0;
  let hops = 0;
  const groupPorts = new Map<string, number[]>();
  const among = family === 6 ? hosts.filter((h) => h.ip6 !== undefined) : hosts;
  for (const src of among) {
    for (const dst of among) {
      if (src === dst) continue;
      const req = { from: src.name!, to: family === 6 ? dst.ip6! : dst.ip! };
      const r = f.app.tracer.run(req);
      assert.ok(typeof r !== 'string', String(r));
      assert.equal(r.result, 'delivered', `${src.name} -> ${dst.name}`);
      const built = hostPacket(hosts, networks, req);
      assert.ok(typeof built !== 'string');
      const addresses = family === 6 ? { ipv4_src: undefined, ipv4_dst: undefined, ipv6: { src: src.ip6!, dst: dst.ip6! } } : { ipv4_src: src.ip, ipv4_dst: dst.ip };
      let input: TracedPacket = { eth_src: String(built.packet.eth_src), eth_dst: String(built.packet.eth_dst), ...addresses, ttl: 64 };
      for (const hop of r.hops as TraceHop[]) {
        const ovs = await ovsHop(hop.switch, hop.inPort, input, groupPorts);
        const where = `${src.name} -> ${dst.name} at ${hop.switch} (in ${hop.inPort})`;
        if (hop.alternatives && hop.alternatives.length > 0) assert.deepEqual(ovs.ports, [...hop.alternatives].sort((a, b) => a - b), `${where}: ECMP ports`);
        else assert.deepEqual(ovs.ports, [hop.outPort], `${where}: output`);
        assert.deepEqual(ovs.packet, hop.packet, `${where}: headers`);
        input = hop.packet;
        hops++;
      }
      pairs++;
    }
  }
  return { pairs, hops };
}

for (const [file, expected] of [['topologies/dc-small.yaml', 72], ['topologies/fat-tree-k4.yaml', 272]] as const) {
  describe(`svcswitch trace agrees with ofproto/trace on ${file}`, () => {
    let f: Fabric | undefined;
    before(async () => {
      f = await startFabric(file);
    });
    after(() => stopFabric(f));

    test(`every pair of hosts: same hops, output ports and rewritten headers (${expected} pairs)`, async (t) => {
      const { pairs, hops } = await compareAllPairs(f!);
      assert.equal(pairs, expected);
      t.diagnostic(`${file}: ${pairs} pairs, ${hops} hops compared with ofproto/trace`);
    });

    test(`every pair of hosts in IPv6 (both files are dual-stack): same hops, output ports, rewritten headers and hop limits (${expected} pairs)`, async (t) => {
      const { pairs, hops } = await compareAllPairs(f!, 6);
      assert.equal(pairs, expected);
      t.diagnostic(`${file} in IPv6: ${pairs} pairs, ${hops} hops compared with ofproto/trace`);
    });
  });
}

describe('svcswitch trace agrees with ofproto/trace after h11 migrated, in each mode (dc-small)', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
  });
  after(() => stopFabric(f));

  const moves: Array<[MigrationMode, string]> = [['optimized', 'acc3'], ['first-hop', 'acc4'], ['mobile-ip', 'acc2']];
  for (const [mode, to] of moves) {
    test(`${mode}, h11 at ${to}:5: every pair, the VM's included`, async (t) => {
      const { app, dc } = f!;
      const m = await app.migration.migrate({ hoa: '10.0.1.10', switch: to, port: 5, mode });
      await dc.do({ op: 'move', host: 'h11', switch: to, port: 5 });
      app.migration.complete(m.id);
      await app.settled();
      const { pairs, hops } = await compareAllPairs(f!);
      assert.equal(pairs, 72);
      t.diagnostic(`${mode}: ${pairs} pairs, ${hops} hops compared with ofproto/trace`);
    });
  }
});
