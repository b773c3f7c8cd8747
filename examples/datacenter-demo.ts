import { mkdirSync, writeFileSync } from 'node:fs';
import { ApiServer } from '../src/api/api-server.js';
import { createLogger } from '../src/app/logger.js';
import { OpenFlowServer } from '../src/controller/openflow-server.js';
import type { TopologyEvent } from '../src/topology/events.js';
import { loadTopology } from '../src/topology/loader.js';
import { topologySvg } from '../src/topology/svg.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService } from '../src/topology/topology-service.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs } from '../lab/ovs.js';
import { until } from '../lab/wait.js';

/**
 * make demo: the dc-small datacenter in Mininet (real OVS, userspace datapath) under
 * svcswitch. Shows discovery checked against the file, a link failure and the paths that
 * avoid it, and a VM moving to another subnet's switch announced by RARP as QEMU does.
 * The migration with its address kept (NAT, proxy ARP) comes with the migration issue.
 */

const FILE = process.env.TOPOLOGY ?? 'topologies/dc-small.yaml';
const OUT = 'out';
const say = (s: string): void => void process.stdout.write(`\n== ${s}\n`);

function describe(e: TopologyEvent): string | undefined {
  switch (e.kind) {
    case 'link-down': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} DOWN (${e.reason})`;
    case 'link-up': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} up`;
    case 'host-moved': return `host ${e.host.name} (${e.host.ip}) MOVED ${e.from.switch}:${e.from.port} -> ${e.host.switch}:${e.host.port}`;
    case 'host-removed': return `host ${e.host.name} removed (${e.reason})`;
    case 'discrepancy': return `DISCREPANCY ${e.discrepancy}: ${e.detail}`;
    default: return undefined;
  }
}

async function main(): Promise<void> {
  await requireOvs();
  const declared = loadTopology(FILE);
  const log = createLogger('warn', 'pretty');
  const openflow = new OpenFlowServer(log);
  const topology = new TopologyService(openflow, declared, log, { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: 500 });
  const api = new ApiServer(openflow, topology, log);
  let live = false;
  topology.events$.subscribe((e) => {
    const text = live ? describe(e) : undefined;
    if (text) process.stdout.write(`   event: ${text}\n`);
  });
  topology.start();
  const { port } = await openflow.listen('127.0.0.1', 0);
  const apiAddr = await api.listen('127.0.0.1', Number(process.env.API_PORT ?? 0));
  say(`svcswitch: OpenFlow on 127.0.0.1:${port}, REST on http://127.0.0.1:${apiAddr.port}/api/topology; starting Mininet with ${FILE}`);
  const started = Date.now();
  const dc = await MininetDc.start(FILE, port);
  try {
    await until(() => topology.switchList().every((s) => s.connected), 'all switches connected', 60_000);
    await until(() => topology.linkList().filter((l) => l.confirmed).length >= declared.links.length, 'every link confirmed by LLDP', 30_000);
    say(`${declared.switches.length} switches connected and ${declared.links.length} links confirmed by LLDP ${Date.now() - started} ms after Mininet started; no discrepancy with the file`);
    for (const l of topology.linkList()) process.stdout.write(`   ${l.a.switch}:${l.a.port} <-> ${l.b.switch}:${l.b.port}  confirmed=${l.confirmed} up=${l.up}\n`);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}/dc-small.svg`, topologySvg(declared, topology.linkList()));
    live = true;

    say(`paths acc1 -> acc3: ${topology.paths('acc1', 'acc3').map((p) => p.join(' > ')).join(' | ')}`);
    say('taking the link acc1 <-> agg1 down in Mininet');
    await dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'down' });
    await until(() => topology.paths('acc1', 'acc3').length === 1, 'paths recomputed', 10_000);
    say(`paths acc1 -> acc3 now: ${topology.paths('acc1', 'acc3').map((p) => p.join(' > ')).join(' | ')}`);
    writeFileSync(`${OUT}/dc-small-link-down.svg`, topologySvg(declared, topology.linkList()));
    await dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'up' });
    await until(() => topology.paths('acc1', 'acc3').length === 2, 'paths restored', 10_000);

    say('moving VM h11 (10.0.1.10, subnet net1 on acc1) to acc3 port 5, in one ovsdb transaction, then a RARP as QEMU sends');
    await dc.do({ op: 'move', host: 'h11', switch: 'acc3', port: 5 });
    await dc.do({ op: 'announce', host: 'h11', kind: 'rarp' });
    await until(() => topology.hostList().find((h) => h.name === 'h11')?.switch === 'acc3', 'h11 seen on acc3', 10_000);
    const h11 = topology.hostList().find((h) => h.name === 'h11')!;
    say(`the controller now locates h11 at ${h11.switch}:${h11.port}, still ${h11.ip}; links up: ${topology.linkList().filter((l) => l.up).length}/${declared.links.length}`);
    say(`pictures: ${OUT}/dc-small.svg, ${OUT}/dc-small-link-down.svg`);
  } finally {
    live = false;
    await dc.stop();
    topology.stop();
    await api.close();
    await openflow.close();
    say('Mininet stopped and cleaned up');
  }
}

main().catch((e: Error) => {
  process.stderr.write(`demo failed: ${e.stack}\n`);
  process.exit(1);
});
