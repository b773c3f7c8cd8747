import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { MultipartType, PortNo, TableId, type FlowStats } from '../../src/openflow/index.js';
import { icmpv6Frame } from '../../src/packet/icmpv6.js';
import { linkLocalOf } from '../../src/packet/ipv6.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../src/topology/model.js';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { appctl, requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/**
 * The fabric in IPv6, in Open vSwitch (dual-stack dc-small in Mininet, issue 25): every host
 * reaches every other by its IPv6 address, one hop-limit step per switch; each host's
 * neighbour solicitation for its gateway is answered by the switch (the controller never sees
 * it); and a tenant's router advertisement or forged neighbour advertisement is dropped at its
 * port. The same rules traced without a switch: test/fabric/ipv6-fabric.test.ts.
 */

const ACC1 = '0000000000030001';
const H11 = { mac: '02:00:0a:00:01:0a', ip6: '2001:db8:0:1::10' };
const H12 = { mac: '02:00:0a:00:01:0b', ip6: '2001:db8:0:1::11' };

before(requireOvs);

describe('IPv6 on dual-stack dc-small', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
  });
  after(() => stopFabric(f));

  /** acc1's flows of one planner (by cookie), with their counters. */
  const flows = async (cookie: bigint): Promise<FlowStats[]> => {
    const parts = await f!.app.openflow.connection(ACC1)!.multipart({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie, cookieMask: ~0n, match: {} });
    return parts.flatMap((p) => (p.mpType === MultipartType.FLOW ? p.flows : [])) as FlowStats[];
  };
  const addresses = (): Record<string, string> => Object.fromEntries(f!.app.topology.declared!.hosts.filter((h) => h.ip6 !== undefined).map((h) => [h.name, h.ip6!]));
  /** Sends raw frame bytes from a host's interface (an AF_PACKET socket in its namespace). */
  const send = (host: string, frame: Buffer) =>
    f!.dc.do({ op: 'cmd', host, cmd: `python3 -c "import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('${host}-eth0', 0)); s.send(bytes.fromhex('${frame.toString('hex')}'))"` });

  test('every host pings every other by its IPv6 address, the external client included (72 pairs)', async () => {
    const r = (await f!.dc.do({ op: 'pingall', addresses: addresses() })) as { pairs: number; failed: string[][] };
    assert.equal(r.pairs, 72);
    assert.deepEqual(r.failed, []);
  });

  test('the hop limit shows one hop per switch: same subnet 0, another pod-mate 3, the external client 4', async () => {
    const hlim = async (to: string): Promise<number> => Number(/ttl=(\d+)/.exec(String((await f!.dc.ping('h11', to, 1)).output))?.[1] ?? NaN);
    assert.deepEqual([await hlim(H12.ip6), await hlim('2001:db8:0:3::10'), await hlim('2001:db8:100::10')], [64, 61, 60]);
  });

  test('a host\'s solicitation for its gateway is answered in the switch with the anycast MAC: the entries count it, the host keeps the answer', async () => {
    await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `ip -6 neigh flush dev h11-eth0; ping -c 1 -W 1 2001:db8:0:3::10 >/dev/null` });
    const neigh = String((await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `ip -6 neigh show ${GATEWAY_LINK_LOCAL} dev h11-eth0` })).output);
    assert.match(neigh, new RegExp(`lladdr ${GATEWAY_MAC} router`), neigh);
    const answered = (await flows(PIPELINE.fabric.cookie)).filter((x) => x.priority === PIPELINE.fabric.priority.gatewayNd && x.match.in_port === 3);
    assert.ok(answered.reduce((n, x) => n + x.packetCount, 0n) >= 1n, 'the gateway entries of h11\'s port answered it');
    // ofproto/trace agrees with what the switch did: an advertisement from the gateway back out of h11's port.
    const traced = await appctl('ofproto/trace', 'acc1', `in_port=3,dl_src=${H11.mac},dl_dst=33:33:ff:00:00:01,icmp6,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:1,nw_ttl=255,icmpv6_type=135,icmpv6_code=0,nd_target=${GATEWAY_LINK_LOCAL},nd_sll=${H11.mac}`);
    assert.match(traced, /Final flow: .*dl_src=02:53:56:00:00:01,dl_dst=02:00:0a:00:01:0a,ipv6_src=fe80::53:56ff:fe00:1,ipv6_dst=2001:db8:0:1::10,.*icmp_type=136,.*nd_tll=02:53:56:00:00:01/);
    assert.match(traced, /set\(nd_ext\(nd_reserved=0xe0000000,nd_options_type=2\)\)/);
  });

  test('a host\'s router solicitation is answered with the fabric\'s advertisement: the kernel takes the gateway as its default router, and adds no address', async () => {
    const h21 = { mac: '02:00:0a:00:02:0a' };
    const route = async () => String((await f!.dc.do({ op: 'cmd', host: 'h21', cmd: 'ip -6 route show default' })).output);
    await f!.dc.do({ op: 'cmd', host: 'h21', cmd: 'ip -6 route del default; sysctl -qw net.ipv6.conf.h21-eth0.accept_ra=1' });
    assert.doesNotMatch(await route(), /default/);
    const before = f!.app.routerAdverts.sent.solicited;
    await send('h21', icmpv6Frame({ srcMac: h21.mac, dstMac: '33:33:00:00:00:02', src: linkLocalOf(h21.mac), dst: 'ff02::2' }, { kind: 'router-solicit', options: [{ kind: 'source-lla', mac: h21.mac }] }));
    await until(async () => /proto ra/.test(await route()), 'a default route learned from the advertisement', 10_000, 200);
    assert.match(await route(), new RegExp(`default via ${GATEWAY_LINK_LOCAL} dev h21-eth0 proto ra`));
    assert.equal(f!.app.routerAdverts.sent.solicited, before + 1);
    const addrs = String((await f!.dc.do({ op: 'cmd', host: 'h21', cmd: 'ip -6 addr show dev h21-eth0 scope global' })).output);
    assert.deepEqual([...addrs.matchAll(/inet6 (\S+)/g)].map((m) => m[1]), ['2001:db8:0:2::10/64'], 'A=0: only the declared address');
    assert.equal((await f!.dc.ping('h21', '2001:db8:0:3::10', 1)).received, 1, 'and it routes through it');
  });

  test('a tenant\'s router advertisement and its advertisement of the gateway at its own MAC are dropped at its port: h11 keeps the gateway\'s MAC', async () => {
    const guard = async () => (await flows(PIPELINE.portSecurity.cookie)).filter((x) => x.priority === PIPELINE.portSecurity.priority.ndGuard).reduce((n, x) => n + x.packetCount, 0n);
    await f!.dc.ping('h11', '2001:db8:0:3::10', 1);
    const before = await guard();
    const fromH12 = { srcMac: H12.mac, src: 'fe80::ff:fe00:11' };
    await send('h12', icmpv6Frame({ ...fromH12, dstMac: '33:33:00:00:00:01', dst: 'ff02::1' }, {
      kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0,
      options: [{ kind: 'source-lla', mac: H12.mac }, { kind: 'prefix', prefix: '2001:db8:bad::', length: 64, onLink: true, autonomous: true, validLifetime: 3600, preferredLifetime: 3600 }],
    }));
    await send('h12', icmpv6Frame({ ...fromH12, dstMac: H11.mac, dst: H11.ip6 }, { kind: 'neighbor-advert', target: GATEWAY_LINK_LOCAL, router: true, solicited: false, override: true, options: [{ kind: 'target-lla', mac: H12.mac }] }));
    await until(async () => (await guard()) >= before + 2n, 'the ND guard counted both', 10_000, 250);
    const neigh = String((await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `ip -6 neigh show ${GATEWAY_LINK_LOCAL} dev h11-eth0; ip -6 addr show dev h11-eth0 | grep -c 2001:db8:bad || true` })).output);
    assert.match(neigh, new RegExp(`lladdr ${GATEWAY_MAC}`), neigh);
    assert.match(neigh, /^0$/m, 'no address from the forged prefix');
    assert.equal((await f!.dc.ping('h11', '2001:db8:0:3::10', 1)).received, 1);
  });
});
