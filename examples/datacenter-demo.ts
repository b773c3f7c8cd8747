import { mkdirSync, writeFileSync } from 'node:fs';
import { createLogger } from '../src/log/logger.js';
import type { TopologyEvent } from '../src/topology/events.js';
import { loadTopology } from '../src/topology/loader.js';
import { topologySvg } from '../src/topology/svg.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs } from '../lab/ovs.js';
import { startSvcswitch } from '../lab/svcswitch.js';
import { until } from '../lab/wait.js';
import { LibvirtHooks } from '../lab/libvirt-hook.js';
import { QemuVm } from '../lab/qemu-vm.js';
import { timelineSvg, type TimelineRow } from '../lab/timeline-svg.js';
import { migrateVmWithTraffic, type VmMigrationStep } from '../lab/vm-migrate.js';
import { topologyWithVm } from '../lab/vm-topology.js';
import { DEFAULT_MIGRATION_OPTIONS } from '../src/migration/migration-options.js';

/**
 * make demo: the dc-small datacenter in Mininet (real OVS, userspace datapath) under
 * svcswitch: discovery checked against the file, the L3 fabric (every host reaches every
 * other and the external client, one TTL per switch), a link failure under a 10 ms ping,
 * then a real VM (QEMU, Debian's kernel) booted at acc1 and live-migrated by QEMU to another
 * subnet (prepared by libvirt's hook, `svcswitch hook libvirt`), on to a third (transparent:
 * QEMU's announcements only) and home (REST), while a TCP stream from the external client and
 * 10 ms pings from four correspondents run to each of its addresses (it is dual-stack): a timeline and a table per step, and the timeline as a
 * picture (out/migration-timeline.svg).
 */

const VM = { name: 'vm1', mac: '52:54:00:0a:01:14', ip: '10.0.1.20', ip6: '2001:db8:0:1::20', switch: 'acc1', port: 5 };
const FILE = topologyWithVm(process.env.TOPOLOGY ?? 'topologies/dc-small.yaml', VM);
const OUT = 'out';
const say = (s: string): void => void process.stdout.write(`\n== ${s}\n`);

function describe(e: TopologyEvent): string | undefined {
  switch (e.kind) {
    case 'link-down': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} DOWN (${e.reason})`;
    case 'link-up': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} up`;
    case 'host-moved': return `host ${e.host.name} (${e.host.ip}) MOVED ${e.from.switch}:${e.from.port} -> ${e.host.switch}:${e.host.port}`;
    case 'host-removed': return `host ${e.host.name} removed (${e.reason})`;
    case 'host-refused': return `host ${e.mac} REFUSED at ${e.at.switch}:${e.at.port}: ${e.reason}`;
    case 'discrepancy': return `DISCREPANCY ${e.discrepancy}: ${e.detail}`;
    default: return undefined;
  }
}

async function main(): Promise<void> {
  await requireOvs();
  const declared = loadTopology(FILE);
  const { app, port, apiPort } = await startSvcswitch(declared, createLogger('warn', 'pretty'), {
    lldpIntervalMs: 500,
    // Announced migrations take the default mode: first-hop here, so the second step shows it.
    // The second step is a transparent migration: announcements alone may migrate (--migrations any).
    migration: { ...DEFAULT_MIGRATION_OPTIONS, trigger: 'any' },
  });
  const topology = app.topology;
  let live = false;
  topology.events$.subscribe((e) => {
    const text = live ? describe(e) : undefined;
    if (text) process.stdout.write(`   event: ${text}\n`);
  });
  say(`svcswitch: OpenFlow on 127.0.0.1:${port}, REST on http://127.0.0.1:${apiPort}/api/topology; starting Mininet with ${FILE}`);
  const started = Date.now();
  const dc = await MininetDc.start(FILE, port, { vms: [VM.name] });
  let vm: QemuVm | undefined;
  try {
    await until(() => topology.switchList().every((s) => s.connected), 'all switches connected', 60_000);
    await until(() => topology.linkList().filter((l) => l.confirmed).length >= declared.links.length, 'every link confirmed by LLDP', 30_000);
    await app.settled();
    say(`${declared.switches.length} switches up, ${declared.links.length} links confirmed by LLDP, flows confirmed by barrier, ${Date.now() - started} ms after Mininet started`);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}/dc-small.svg`, topologySvg(declared, topology.linkList()));
    live = true;

    const all = (await dc.do({ op: 'pingall' })) as { pairs: number; failed: string[][] };
    say(`all pairs: ${all.pairs - all.failed.length}/${all.pairs} hosts reach each other and the external client`);
    for (const [src, dst, what] of [['h11', '10.0.1.11', 'same subnet (L2)'], ['h11', '10.0.3.10', 'another subnet'], ['h11', '198.51.100.10', 'the external client']]) {
      const out = (await dc.ping(src!, dst!, 1)).output;
      process.stdout.write(`   ${src} -> ${dst} (${what}): ${/ttl=\d+ time=[\d.]+ ms/.exec(out)?.[0] ?? 'no reply'}\n`);
    }

    say('a 10 ms ping h11 -> h31 while the link acc1 <-> agg1 fails');
    const file = `/tmp/svcswitch-demo-${process.pid}.txt`;
    await dc.do({ op: 'cmd', host: 'h11', cmd: `ping -i 0.01 -c 200 -W 1 10.0.3.10 > ${file} 2>&1 &` });
    await new Promise((r) => setTimeout(r, 500));
    await dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'down' });
    let result = '';
    await until(async () => {
      result = String((await dc.do({ op: 'cmd', host: 'h11', cmd: `cat ${file}` })).output);
      return /packets transmitted/.test(result);
    }, 'the 10 ms ping to finish', 30_000, 500);
    await dc.do({ op: 'cmd', host: 'h11', cmd: `rm -f ${file}` });
    process.stdout.write(`   ${/\d+ packets transmitted, \d+ received, [\d.]+% packet loss/.exec(result)?.[0] ?? 'the ping did not finish'}\n`);
    say(`paths acc1 -> acc3 now: ${topology.paths('acc1', 'acc3').map((p) => p.join(' > ')).join(' | ')}`);
    writeFileSync(`${OUT}/dc-small-link-down.svg`, topologySvg(declared, topology.linkList()));
    await dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'up' });
    await until(() => topology.paths('acc1', 'acc3').length === 2, 'paths restored', 10_000);

    say(`booting a real VM: QEMU (TCG), Debian's cloud kernel, dual-stack ${VM.ip} and ${VM.ip6} at ${VM.switch}:${VM.port}, a tap on the switch's OVS bridge`);
    const booted = Date.now();
    vm = await QemuVm.boot({ name: VM.name, mac: VM.mac, address: `${VM.ip}/24`, gateway: '10.0.1.1', address6: `${VM.ip6}/64`, gateway6: '2001:db8:0:1::1' }, { switch: VM.switch, port: VM.port });
    for (const dst of [VM.ip, VM.ip6]) await until(async () => Number((await dc.do({ op: 'ping', src: 'client', dst, count: 1, timeout: 1 })).received) === 1, `the client to reach the VM at ${dst}`, 20_000, 200);
    process.stdout.write(`   booted and reachable from the client ${Date.now() - booted} ms after QEMU started\n`);

    const rows: TimelineRow[] = [];
    const hooks = new LibvirtHooks(apiPort);
    const steps: Array<{ title: string; step: Omit<VmMigrationStep, 'hoa'> }> = [
      { title: 'vm1 acc1 -> acc3 (net3), optimized, prepared by libvirt\'s hook', step: { to: { switch: 'acc3', port: 5 }, trigger: 'hook', hooks, correspondents: ['client', 'h12', 'h31', 'h21'], streamsFrom: ['client'], stopSourceAfterMs: 1000 } },
      { title: 'vm1 acc3 -> acc4 (net4), transparent (QEMU\'s announcements only)', step: { to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'], streamsFrom: ['client'], stopSourceAfterMs: 1000 } },
      { title: 'vm1 acc4 -> acc1, home again, orchestrated (REST)', step: { to: { switch: VM.switch, port: VM.port }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h41', 'h21'], streamsFrom: ['client'], stopSourceAfterMs: 1000 } },
    ];
    for (const { title, step } of steps) {
      say(`migration: ${title}, while the client streams TCP to both of the VM's addresses and four correspondents ping each every 10 ms`);
      // 8 s: the libvirt hook's calls (a process each) and QEMU's migration end well inside the traffic, under both families' load.
      const r = await migrateVmWithTraffic(app, dc, vm, { hoa: VM.ip, hoa6: VM.ip6, streams6From: ['client'], seconds: 8, ...step });
      const m = r.migration;
      const rel = (t: number): number => t - r.qemu.resumedAt;
      const firstDelivered = Math.min(...Object.values(r.pings).map((p) => p.replies.find((t) => t > r.qemu.resumedAt) ?? Infinity));
      const events = [
        ...m.timeline.map((t) => ({ label: t.step, ms: rel(t.at) })),
        { label: `VM paused by QEMU (${r.qemu.downtimeMs} ms of downtime)`, ms: -r.qemu.downtimeMs },
        { label: 'VM runs at its new port (QEMU resumed it)', ms: 0 },
        ...(Number.isFinite(firstDelivered) ? [{ label: 'first reply after the resume', ms: rel(firstDelivered) }] : []),
      ].sort((a, b) => a.ms - b.ms);
      process.stdout.write(`   QEMU's live migration: ${r.qemu.totalMs} ms\n`);
      for (const e of events) process.stdout.write(`   ${String(Math.round(e.ms)).padStart(6)} ms  ${e.label}\n`);
      process.stdout.write(`   binding: ${m.hoa} in ${m.to.subnet}${m.to.coa ? ` as CoA ${m.to.coa}` : ' (home: no binding)'}, mode ${m.mode}\n`);
      process.stdout.write('   correspondent   lost/sent   median RTT\n');
      for (const [who, p] of Object.entries(r.pings)) process.stdout.write(`   ${who.padEnd(15)} ${`${p.lost}/${p.sent}`.padStart(9)}   ${p.rttMedian?.toFixed(3) ?? '-'} ms\n`);
      for (const [from, s] of Object.entries(r.streams)) {
        process.stdout.write(`   TCP ${from} -> vm1: ${s.received}/${s.sent} bytes, ${s.intact ? 'intact (SHA-256 computed inside the VM)' : 'CORRUPTED'}${s.error ? `, ${s.error}` : ', no reset'}\n`);
      }
      const gaps = Object.entries(r.pings).flatMap(([who, p]) => p.replies.slice(1).map((t, i) => ({ who, from: rel(p.replies[i]!), to: rel(t) })).filter((g) => g.to - g.from > 25 && g.to > -500 && g.from < 1500));
      rows.push({ name: title.split(',')[0]!, events: events.filter((e) => e.ms > -2000), gaps });
    }
    writeFileSync(`${OUT}/migration-timeline.svg`, timelineSvg(rows));
    say(`bindings now: ${JSON.stringify(app.migration.bindings.all())}; pictures: ${OUT}/migration-timeline.svg`);
    say(`pictures: ${OUT}/dc-small.svg, ${OUT}/dc-small-link-down.svg`);
  } finally {
    live = false;
    await vm?.destroy();
    await dc.stop();
    await app.stop();
    say('Mininet stopped and cleaned up');
  }
}

main().catch((e: Error) => {
  process.stderr.write(`demo failed: ${e.stack}\n`);
  process.exit(1);
});
