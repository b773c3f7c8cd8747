import { mkdirSync, writeFileSync } from 'node:fs';
import { createLogger } from '../src/log/logger.js';
import type { TopologyEvent } from '../src/topology/events.js';
import { loadTopology } from '../src/topology/loader.js';
import { topologySvg } from '../src/topology/svg.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs } from '../lab/ovs.js';
import { startSvcswitch } from '../lab/svcswitch.js';
import { until } from '../lab/wait.js';
import { migrateWithTraffic, type MigrationStep } from '../lab/migrate.js';
import { timelineSvg, type TimelineRow } from '../lab/timeline-svg.js';
import { DEFAULT_MIGRATION_OPTIONS } from '../src/migration/migration-service.js';

/**
 * make demo: the dc-small datacenter in Mininet (real OVS, userspace datapath) under
 * svcswitch: discovery checked against the file, the L3 fabric (every host reaches every
 * other and the external client, one TTL per switch), a link failure under a 10 ms ping,
 * then the VM h11 live-migrated to another subnet (optimized, orchestrated make-before-break),
 * on to a third (first-hop, transparent from QEMU's RARP), and home, while a TCP stream from
 * the external client and 10 ms pings from four correspondents run: a timeline and a table
 * per step, and the timeline as a picture (out/migration-timeline.svg).
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
    migration: { ...DEFAULT_MIGRATION_OPTIONS, mode: 'first-hop', trigger: 'any' },
  });
  const topology = app.topology;
  let live = false;
  topology.events$.subscribe((e) => {
    const text = live ? describe(e) : undefined;
    if (text) process.stdout.write(`   event: ${text}\n`);
  });
  say(`svcswitch: OpenFlow on 127.0.0.1:${port}, REST on http://127.0.0.1:${apiPort}/api/topology; starting Mininet with ${FILE}`);
  const started = Date.now();
  const dc = await MininetDc.start(FILE, port);
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

    const rows: TimelineRow[] = [];
    const steps: Array<{ title: string; step: Omit<MigrationStep, 'vm' | 'hoa' | 'streamFrom'> }> = [
      { title: 'h11 acc1 -> acc3 (net3), optimized, orchestrated', step: { to: { switch: 'acc3', port: 5 }, trigger: 'orchestrated', mode: 'optimized', correspondents: ['client', 'h12', 'h31', 'h21'] } },
      { title: 'h11 acc3 -> acc4 (net4), first-hop, transparent (QEMU RARP)', step: { to: { switch: 'acc4', port: 5 }, trigger: 'transparent', correspondents: ['client', 'h12', 'h41', 'h21'] } },
      { title: 'h11 acc4 -> acc1, home again, orchestrated', step: { to: { switch: 'acc1', port: 3 }, trigger: 'orchestrated', correspondents: ['client', 'h12', 'h41', 'h21'] } },
    ];
    for (const { title, step } of steps) {
      say(`migration: ${title}, while the client streams TCP to h11 and four correspondents ping it every 10 ms`);
      const r = await migrateWithTraffic(app, dc, { vm: 'h11', hoa: '10.0.1.10', streamsFrom: ['client'], seconds: 3, ...step });
      const m = r.migration;
      const rel = (t: number): number => t - r.movedAt;
      const firstDelivered = Math.min(...Object.values(r.pings).map((p) => p.replies.find((t) => t > r.movedAt) ?? Infinity));
      const events = [...m.timeline.map((t) => ({ label: t.step, ms: rel(t.at) })), { label: 'VM link moved', ms: 0 }, { label: 'first reply after the move', ms: rel(firstDelivered) }].sort((a, b) => a.ms - b.ms);
      for (const e of events) process.stdout.write(`   ${String(Math.round(e.ms)).padStart(6)} ms  ${e.label}\n`);
      process.stdout.write(`   binding: ${m.hoa} in ${m.to.subnet}${m.to.coa ? ` as CoA ${m.to.coa}` : ' (home: no binding)'}, mode ${m.mode}\n`);
      process.stdout.write('   correspondent   lost/sent   median RTT\n');
      for (const [who, p] of Object.entries(r.pings)) process.stdout.write(`   ${who.padEnd(15)} ${`${p.lost}/${p.sent}`.padStart(9)}   ${p.rttMedian?.toFixed(3) ?? '-'} ms\n`);
      const s = r.streams.client!;
      process.stdout.write(`   TCP client -> h11: ${s.received}/${s.sent} bytes, ${s.intact ? 'intact (SHA-256 checked)' : 'CORRUPTED'}${s.error ? `, ${s.error}` : ', no reset'}, longest silence ${s.longestGapMs} ms\n`);
      const gaps = Object.entries(r.pings).flatMap(([who, p]) => p.replies.slice(1).map((t, i) => ({ who, from: rel(p.replies[i]!), to: rel(t) })).filter((g) => g.to - g.from > 25 && g.to > -500 && g.from < 1500));
      rows.push({ name: title.split(',')[0]!, events: events.filter((e) => e.ms > -2000), gaps });
    }
    writeFileSync(`${OUT}/migration-timeline.svg`, timelineSvg(rows));
    say(`bindings now: ${JSON.stringify(app.migration.bindings.all())}; pictures: ${OUT}/migration-timeline.svg`);
    say(`pictures: ${OUT}/dc-small.svg, ${OUT}/dc-small-link-down.svg`);
  } finally {
    live = false;
    await dc.stop();
    await app.stop();
    say('Mininet stopped and cleaned up');
  }
}

main().catch((e: Error) => {
  process.stderr.write(`demo failed: ${e.stack}\n`);
  process.exit(1);
});
