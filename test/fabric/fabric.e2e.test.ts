import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Svcswitch } from '../../src/app/svcswitch.js';
import { MultipartType, PortNo, TableId, type FlowStats } from '../../src/openflow/index.js';
import { FABRIC_COOKIE, PRIORITY } from '../../src/fabric/fabric-planner.js';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import type { MininetDc } from '../../lab/mininet.js';
import { appctl, ofctl, requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';

/** The L3 fabric in Mininet: reachability, hop counts, TCP, silence of the control plane, failover. */

/** Packets the switches sent to the controller through the fabric's "ARP to controller" flows. */
async function punted(app: Svcswitch): Promise<bigint> {
  let total = 0n;
  for (const conn of app.openflow.connected.values()) {
    const parts = await conn.multipart({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: FABRIC_COOKIE, cookieMask: ~0n, match: {} });
    const flows = parts.flatMap((p) => (p.mpType === MultipartType.FLOW ? p.flows : [])) as FlowStats[];
    for (const f of flows) if (f.priority === PRIORITY.arpToController) total += f.packetCount;
  }
  return total;
}

const ttlOf = (output: string): number => Number(/ttl=(\d+)/.exec(output)?.[1] ?? NaN);

/**
 * Bytes received by an iperf3 server (started with -D -1 on `server`'s host) from a 1 s
 * TCP test run on `client`; retried while the daemon is not listening yet.
 */
async function iperf(dc: MininetDc, client: string, server: string, port: number): Promise<number> {
  let report = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const out = String((await dc.do({ op: 'cmd', host: client, cmd: `iperf3 -c ${server} -p ${port} -t 1 -J` })).output);
    report = out.slice(out.indexOf('{'));
    const parsed = JSON.parse(report) as { error?: string; end?: { sum_received?: { bytes: number } } };
    if (parsed.error === undefined) return parsed.end?.sum_received?.bytes ?? 0;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`iperf3 ${client} -> ${server}:${port} kept failing: ${report}`);
}

before(requireOvs);

describe('L3 fabric on dc-small', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
  });
  after(() => stopFabric(f));

  test('every host pings every other host and the external client', async () => {
    const r = (await f!.dc.do({ op: 'pingall' })) as { pairs: number; failed: string[][] };
    assert.equal(r.pairs, 72);
    assert.deepEqual(r.failed, []);
  });

  test('TTL shows one hop per switch: same subnet 0, other pod-mates 3, external client 4', async () => {
    assert.equal(ttlOf((await f!.dc.ping('h11', '10.0.1.11', 1)).output), 64);
    assert.equal(ttlOf((await f!.dc.ping('h11', '10.0.3.10', 1)).output), 61);
    assert.equal(ttlOf((await f!.dc.ping('h11', '198.51.100.10', 1)).output), 60);
    assert.equal(ttlOf((await f!.dc.ping('client', '10.0.4.11', 1)).output), 60);
  });

  test('TCP across subnets and from the external client (iperf3)', async () => {
    await f!.dc.do({ op: 'cmd', host: 'h31', cmd: 'iperf3 -s -D -1 -p 5201' });
    await f!.dc.do({ op: 'cmd', host: 'h21', cmd: 'iperf3 -s -D -1 -p 5202' });
    await new Promise((r) => setTimeout(r, 300));
    for (const [client, server, port] of [['h11', '10.0.3.10', 5201], ['client', '10.0.2.10', 5202]] as const) {
      const bytes = await iperf(f!.dc, client, server, port);
      assert.ok(bytes > 100_000, `${client} -> ${server}: ${bytes} bytes`);
    }
  });

  test('an ARP request for an unknown address goes only where it can be: the host ports of its subnet\'s switch', async () => {
    const cap = (host: string): string => `/tmp/svcswitch-arp-${host}-${process.pid}.txt`;
    for (const host of ['h12', 'h21']) {
      await f!.dc.do({ op: 'cmd', host, cmd: `timeout 10 tcpdump -l -n -c 1 -i ${host}-eth0 arp and host 10.0.1.77 > ${cap(host)} 2>/dev/null &` });
    }
    await new Promise((r) => setTimeout(r, 1500)); // tcpdump is listening
    await f!.dc.do({ op: 'cmd', host: 'h11', cmd: 'arping -c 2 -w 2 10.0.1.77 >/dev/null 2>&1; true' });
    const seen = async (host: string): Promise<string> => String((await f!.dc.do({ op: 'cmd', host, cmd: `cat ${cap(host)}` })).output);
    await until(async () => /Request who-has 10\.0\.1\.77/.test(await seen('h12')), 'h12 (same subnet, same switch) to get the request', 10_000, 250);
    assert.doesNotMatch(await seen('h21'), /10\.0\.1\.77/, 'h21 is on another switch: it must not get it');
    await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `rm -f ${cap('h12')} ${cap('h21')}` });
  });

  test('LLDP is dropped in the switch on host ports and sent to the controller on link ports (ofproto/trace)', async () => {
    const lldp = (port: number): Promise<string> => appctl('ofproto/trace', 'acc1', `in_port=${port},dl_type=0x88cc,dl_dst=01:80:c2:00:00:0e`);
    const fromHost = await lldp(3);
    assert.match(fromHost, /priority 65534/);
    assert.match(fromHost, /Datapath actions: drop/);
    const fromUplink = await lldp(1);
    assert.match(fromUplink, /priority 65535/);
    assert.match(fromUplink, /CONTROLLER/);
  });

  test('steady traffic never reaches the controller: packet-in counters stay flat', async () => {
    await f!.dc.do({ op: 'pingall' });
    const before = { controller: f!.packetIns(), switches: await punted(f!.app) };
    const r = (await f!.dc.do({ op: 'pingall' })) as { failed: string[][] };
    assert.deepEqual(r.failed, []);
    const afterCounts = { controller: f!.packetIns(), switches: await punted(f!.app) };
    assert.deepEqual(afterCounts, before);
  });

  test('a failed link reroutes with bounded loss; the restored link is used again', async (t) => {
    const app = f!.app;
    const acc1 = app.openflow.connection('0000000000030001')!;
    const txOn = async (port: number): Promise<bigint> => {
      const [p] = await acc1.multipart({ mpType: MultipartType.PORT_STATS, portNo: port });
      return p?.mpType === MultipartType.PORT_STATS ? (p.ports[0]?.txPackets ?? 0n) : 0n;
    };
    // Which uplink does h11 -> h31 hash onto? Fail that one.
    const [u1, u2] = [await txOn(1), await txOn(2)];
    await f!.dc.ping('h11', '10.0.3.10', 20);
    const used = (await txOn(1)) - u1 >= (await txOn(2)) - u2 ? { port: 1, agg: 'agg1' } : { port: 2, agg: 'agg2' };
    const file = `/tmp/svcswitch-failover-${process.pid}.txt`;
    await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `ping -i 0.01 -c 300 -W 1 10.0.3.10 > ${file} 2>&1 &` });
    await new Promise((r) => setTimeout(r, 800));
    await f!.dc.do({ op: 'link', a: 'acc1', b: used.agg, state: 'down' });
    // The ping ends by itself (300 packets); wait for its summary, however slow the machine is.
    let out = '';
    await until(async () => {
      out = String((await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `cat ${file}` })).output);
      return /packets transmitted/.test(out);
    }, 'the 10 ms ping to finish', 30_000, 500);
    await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `rm -f ${file}` });
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, out);
    const lost = Number(m[1]) - Number(m[2]);
    t.diagnostic(`failover: uplink ${used.agg} failed under a 10 ms ping: ${lost} of ${m[1]} lost`);
    assert.ok(lost < 100, `lost ${lost} of ${m[1]}: rerouting took more than a second`);
    assert.equal((await f!.dc.ping('h11', '10.0.3.10', 3)).received, 3);
    // Restore: the link is up again and carries traffic again.
    await f!.dc.do({ op: 'link', a: 'acc1', b: used.agg, state: 'up' });
    await until(() => app.topology.paths('acc1', 'acc3').length === 2, 'two paths again', 10_000);
    await app.settled();
    const before = await txOn(used.port);
    for (let i = 0; i < 40; i++) await f!.dc.do({ op: 'cmd', host: 'h11', cmd: `ping -c 1 -W 1 10.0.${2 + (i % 3)}.1${i % 2} >/dev/null` });
    assert.ok((await txOn(used.port)) > before, `no traffic on restored port ${used.port}`);
  });
});

describe('a tenant VM that claims what is not its own', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
  });
  after(() => stopFabric(f));

  test('gratuitous ARPs for another subnet\'s host, a gateway, or a neighbour\'s address move nothing in the switches', async () => {
    const app = f!.app;
    const refused: string[] = [];
    const sub = app.topology.events$.subscribe((e) => {
      if (e.kind === 'host-refused') refused.push(`${e.ip} ${e.at.switch}:${e.at.port}`);
    });
    const tables = async (): Promise<string> => (await Promise.all(['acc1', 'acc3'].map((sw) => ofctl('--no-stats', 'dump-flows', sw)))).join('\n');
    const before = await tables();
    // h12 (acc1:4) claims its own gateway, its neighbour h11's address, h31's address (acc3)
    // and acc4's gateway. None is its own: port security sends each to the controller only
    // (no host sees them), and the controller refuses each.
    for (const ip of ['10.0.1.1', '10.0.1.10', '10.0.3.10', '10.0.4.1']) await f!.dc.do({ op: 'announce', host: 'h12', kind: 'garp', ip });
    await until(() => refused.length >= 4, 'four refusals', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    sub.unsubscribe();
    assert.deepEqual(refused.sort(), ['10.0.1.1 acc1:4', '10.0.1.10 acc1:4', '10.0.3.10 acc1:4', '10.0.4.1 acc1:4']);
    await app.settled();
    assert.equal(await tables(), before, 'acc1 and acc3 hold the same entries');
    assert.equal(app.topology.hostByIp('10.0.3.10')?.name, 'h31');
    assert.equal(app.topology.hostByIp('10.0.1.10')?.name, 'h11');
    assert.equal((await f!.dc.ping('h11', '10.0.3.10', 2)).received, 2, 'h31 is still reached');
    assert.equal((await f!.dc.ping('h21', '10.0.1.10', 2)).received, 2, 'h11 is still reached');
  });
});

describe('a host the controller does not know', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
  });
  after(() => stopFabric(f));

  test('its ARP for the gateway is answered by PACKET_OUT, it is learned, and then it is routed', async () => {
    const app = f!.app;
    const added = new Promise<string>((resolve) => {
      const sub = app.topology.events$.subscribe((e) => {
        if (e.kind === 'host-added' && e.host.mac === '02:00:0a:00:01:99') {
          resolve(`${e.host.switch}:${e.host.port} ${e.host.ip}`);
          queueMicrotask(() => sub.unsubscribe());
        }
      });
    });
    const answered = app.arp.answered;
    // h12 becomes a new VM: a MAC no flow knows, an address nobody declared, an empty ARP cache.
    await f!.dc.do({
      op: 'cmd', host: 'h12',
      cmd: 'ip link set h12-eth0 address 02:00:0a:00:01:99 && ip addr flush dev h12-eth0 && ip addr add 10.0.1.99/24 dev h12-eth0 && ip route add default via 10.0.1.1 && ip neigh flush dev h12-eth0',
    });
    const r = await f!.dc.ping('h12', '10.0.2.10', 3);
    assert.ok(r.received >= 2, r.output);
    assert.equal(await added, 'acc1:4 10.0.1.99');
    assert.ok(app.arp.answered > answered, 'the gateway ARP was answered by the controller');
    // Once learned, the switch answers it: no more ARP reaches the controller.
    await app.settled();
    const before = app.arp.answered;
    await f!.dc.do({ op: 'cmd', host: 'h12', cmd: 'ip neigh flush dev h12-eth0' });
    assert.equal((await f!.dc.ping('h12', '10.0.3.10', 2)).received, 2);
    assert.equal(app.arp.answered, before);
  });
});

describe('L3 fabric on the k=4 fat-tree', () => {
  let f: Fabric | undefined;
  before(async () => {
    f = await startFabric('topologies/fat-tree-k4.yaml');
  });
  after(() => stopFabric(f));

  test('every host pings every other host and the external client; hop counts follow the tree', async () => {
    const r = (await f!.dc.do({ op: 'pingall' })) as { pairs: number; failed: string[][] };
    assert.equal(r.pairs, 17 * 16);
    assert.deepEqual(r.failed, []);
    assert.equal(ttlOf((await f!.dc.ping('h1_1', '10.0.1.10', 1)).output), 61); // same pod: acc, agg, acc
    assert.equal(ttlOf((await f!.dc.ping('h1_1', '10.0.7.10', 1)).output), 59); // other pod: acc, agg, core, agg, acc
  });

  test('the fat-tree is dual-stack: every host pings every other host and the external client at its IPv6 address; one hop limit step per switch', async () => {
    const addresses = Object.fromEntries(f!.app.topology.declared!.hosts.filter((h) => h.ip6 !== undefined).map((h) => [h.name, h.ip6!]));
    assert.equal(Object.keys(addresses).length, 17, 'every host has one');
    const r = (await f!.dc.do({ op: 'pingall', addresses })) as { pairs: number; failed: string[][] };
    assert.equal(r.pairs, 17 * 16);
    assert.deepEqual(r.failed, []);
    const far = addresses.h8_2!;
    assert.match((await f!.dc.ping('h1_1', far, 1)).output, /ttl=59 /, `h1_1 -> ${far}: acc, agg, core, agg, acc`);
  });

  test('TCP across pods', async () => {
    await f!.dc.do({ op: 'cmd', host: 'h8_2', cmd: 'iperf3 -s -D -1 -p 5203' });
    const bytes = await iperf(f!.dc, 'h1_1', '10.0.7.11', 5203);
    assert.ok(bytes > 100_000, `${bytes} bytes`);
  });
});
