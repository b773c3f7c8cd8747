import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { MultipartType, PortNo, TableId, type FlowStats } from '../../src/openflow/index.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { appctl, ofctl, requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/**
 * Port security in Open vSwitch (dc-small in Mininet): what the tenant h12 (acc1:4) can put on
 * the fabric with a source that is not its own, captured where it would arrive. Each of these
 * reached its victim before table 0 did port security (docs/security.md, round two).
 */

const ACC1 = '0000000000030001';
const H11 = { ip: '10.0.1.10', mac: '02:00:0a:00:01:0a' };
const H12_MAC = '02:00:0a:00:01:0b';

before(requireOvs);

describe('port security on dc-small', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
    const r = (await f.dc.do({ op: 'pingall' })) as { failed: string[][] };
    assert.deepEqual(r.failed, [], 'every host reaches every other before the attacks');
  });
  after(() => stopFabric(f));

  /** Starts tcpdump on `host` for `filter`; returns a reader of what it captured. */
  const capture = async (host: string, filter: string): Promise<() => Promise<string>> => {
    const file = `/tmp/svcswitch-ps-${host}-${process.pid}-${Date.now()}.txt`;
    await f!.dc.do({ op: 'cmd', host, cmd: `timeout 8 tcpdump -l -n -e -i ${host}-eth0 '${filter}' > ${file} 2>/dev/null &` });
    await new Promise((r) => setTimeout(r, 1500)); // tcpdump is listening
    return async () => String((await f!.dc.do({ op: 'cmd', host, cmd: `cat ${file}; rm -f ${file}` })).output);
  };

  /** Packets matched by acc1's port-security drop entry. */
  const drops = async (): Promise<bigint> => {
    const conn = f!.app.openflow.connection(ACC1)!;
    const parts = await conn.multipart({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: PIPELINE.portSecurity.cookie, cookieMask: ~0n, match: {} });
    const flows = parts.flatMap((p) => (p.mpType === MultipartType.FLOW ? p.flows : [])) as FlowStats[];
    return flows.filter((x) => x.priority === PIPELINE.portSecurity.priority.drop).reduce((n, x) => n + x.packetCount, 0n);
  };

  test('IPv4 with a neighbour\'s source address is dropped at the tenant\'s port: nothing reaches the far host, the drop entry counts it', async () => {
    const seen = await capture('h31', 'icmp and src host 10.0.1.10');
    const before = await drops();
    // h12 takes h11's address as a second one and pings from it (its gateway is in its ARP cache since the pingall).
    await f!.dc.do({ op: 'cmd', host: 'h12', cmd: `ip addr add ${H11.ip}/32 dev h12-eth0; ping -c 3 -i 0.2 -W 1 -I ${H11.ip} 10.0.3.10 >/dev/null 2>&1; ip addr del ${H11.ip}/32 dev h12-eth0; true` });
    await until(async () => (await drops()) >= before + 3n, 'the three pings counted by the drop entry', 10_000, 250);
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(await seen(), /ICMP echo request/, 'h31 never gets a packet from the forged source');
    // ofproto/trace agrees: the forged source stops in table 0.
    const traced = await appctl('ofproto/trace', 'acc1', `in_port=4,dl_src=${H12_MAC},dl_dst=${GATEWAY_MAC},ip,nw_src=${H11.ip},nw_dst=10.0.3.10`);
    assert.match(traced, /priority 100/);
    assert.match(traced, /Datapath actions: drop/);
  });

  test('a gratuitous ARP claiming a neighbour\'s address never reaches the neighbour (no ARP cache poisoned), and is refused by the controller', async () => {
    const seen = await capture('h11', `arp and ether src ${H12_MAC}`);
    await f!.dc.do({ op: 'announce', host: 'h12', kind: 'garp', ip: H11.ip });
    await new Promise((r) => setTimeout(r, 1000));
    // h12's own ARPs (tell 10.0.1.11) may pass; one that names h11's address as its sender may not.
    assert.doesNotMatch(await seen(), /tell 10\.0\.1\.10\b/, 'h11 does not see the forged ARP');
    assert.equal(f!.app.topology.hostByIp(H11.ip)?.mac, H11.mac, 'h11 keeps its address');
  });

  test('one gratuitous ARP with the anycast gateway MAC as source: nothing learned, no flow to the tenant for the gateway MAC, routed traffic unaffected', async () => {
    await f!.dc.do({ op: 'announce', host: 'h12', kind: 'garp', mac: GATEWAY_MAC, ip: '10.0.1.77' });
    await until(() => (f!.app.topology.hostRefusals()['reserved-mac'] ?? 0) >= 1, 'the frame refused as a reserved MAC', 5000);
    await f!.app.settled();
    assert.equal(f!.app.topology.hostByMac(GATEWAY_MAC), undefined, 'the gateway MAC is nobody\'s');
    assert.equal(f!.app.topology.hostByIp('10.0.1.77'), undefined);
    const table = await ofctl('dump-flows', 'acc1');
    assert.doesNotMatch(table, new RegExp(`dl_dst=${GATEWAY_MAC}`), 'no entry sends the gateway MAC anywhere');
    for (const [src, dst] of [['h11', '10.0.3.10'], ['client', '10.0.1.10'], ['h12', '10.0.2.10']] as const) {
      const r = await f!.dc.ping(src, dst, 3);
      assert.equal(r.received, r.sent, `${src} -> ${dst}: ${r.output}`);
    }
  });
});
