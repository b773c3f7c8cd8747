/**
 * make bench-paper: the paper's validation reproduced (the measurements issue, part 1). On
 * dc-small in Mininet, the VM h11 (10.0.1.10, net1 on acc1) not migrated, then migrated to
 * acc3 (net3) in mobile-ip, optimized and first-hop: per case, ping RTT (mean, p50, p99) from
 * the external client, an HN node (h12) and a node of a third subnet (h21), PINGS each; the
 * mean response time of a web server on the VM fetched from the client, REQUESTS times; and
 * the switch hops of each path, from `svcswitch trace`. Every case is warmed up first
 * (PAPER_WARMUP pings from each correspondent and a tenth as many web requests, not counted):
 * the first packets of a flow cost the userspace datapath its upcalls, and the case measured
 * first would pay them alone. Beside the paper's own ratios for the client (a 2011 testbed:
 * ratios to the case not migrated compare, absolute times do not).
 */
import { resolve } from 'node:path';
import type { MigrationMode } from '../src/migration/binding-store.js';
import { startFabric, stopFabric, type Fabric } from '../lab/fabric.js';
import { until } from '../lab/wait.js';
import { median, pct, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const PINGS = Number(process.env.PAPER_PINGS ?? 200);
const REQUESTS = Number(process.env.PAPER_REQUESTS ?? 200);
const WARMUP = Number(process.env.PAPER_WARMUP ?? 50);
const VM = { name: 'h11', ip: '10.0.1.10', home: { switch: 'acc1', port: 3 }, abroad: { switch: 'acc3', port: 5 } };
const FROM = [
  { host: 'client', role: 'external client' },
  { host: 'h12', role: 'HN node' },
  { host: 'h21', role: 'third subnet' },
];
/**
 * The paper's ping RTT from its client (ms), as ratios to its case not migrated. Where its
 * client stood is our assumption: outside the datacenter, through its edge, as our client is.
 */
const PAPER_PING: Record<string, number> = { 'not migrated': 2.573, 'mobile-ip': 3.192, optimized: 2.034 };
const paperRatio = (c: string): number | string => (PAPER_PING[c] === undefined ? '-' : round(PAPER_PING[c] / PAPER_PING['not migrated']!));

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (n: number): number => Math.round(n * 1000) / 1000;

async function rtts(f: Fabric, from: string, count = PINGS): Promise<number[]> {
  const out = String((await f.dc.do({ op: 'cmd', host: from, cmd: `ping -n -c ${count} -i 0.01 -W 1 ${VM.ip}` }, 120_000)).output);
  return [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function web(f: Fabric, count = REQUESTS): Promise<number[]> {
  const cmd = `for i in $(seq ${count}); do curl -s -o /dev/null -w '%{time_total}\\n' http://${VM.ip}:8000/; done`;
  const out = String((await f.dc.do({ op: 'cmd', host: 'client', cmd }, 300_000)).output);
  return out.split('\n').filter((l) => /^[\d.]+$/.test(l.trim())).map((l) => Number(l) * 1000);
}

function hops(f: Fabric, from: string): number {
  const r = f.app.tracer.run({ from, to: VM.ip });
  if (typeof r === 'string' || r.result !== 'delivered') throw new Error(`trace from ${from}: ${typeof r === 'string' ? r : r.result}`);
  return r.hops.length;
}

async function moveVm(f: Fabric, to: { switch: string; port: number }, mode?: MigrationMode): Promise<void> {
  const m = await f.app.migration.migrate({ hoa: VM.ip, ...to, ...(mode ? { mode } : {}) });
  await f.dc.do({ op: 'move', host: VM.name, ...to });
  f.app.migration.complete(m.id);
  await until(() => f.app.migration.migration(m.id)?.timeline.some((s) => s.step === 'old entries removed') === true, 'the switchover', 15_000);
  await f.app.settled();
}

interface Row {
  case: string;
  from: string;
  role: string;
  hops: number;
  mean: number;
  p50: number;
  p99: number;
  lost: number;
}
const rows: Row[] = [];
const webRows: Array<{ case: string; mean: number; p50: number; p99: number }> = [];

progress('dc-small in Mininet');
const f = await startFabric('topologies/dc-small.yaml');
try {
  // One write per answer (mininet/web.py): Python's http.server writes headers and body apart, and the delayed ACK then adds 40 ms.
  await f.dc.do({ op: 'cmd', host: VM.name, cmd: `/usr/bin/python3 ${resolve('mininet/web.py')} 8000 > /dev/null 2>&1 &` });
  await new Promise((r) => setTimeout(r, 1000));
  for (const c of ['not migrated', 'mobile-ip', 'optimized', 'first-hop'] as const) {
    if (c !== 'not migrated') {
      progress(`h11 to acc3 (${c})`);
      await moveVm(f, VM.abroad, c);
    }
    progress(`${c}: warming up (${WARMUP} pings from each, ${Math.ceil(WARMUP / 10)} web requests)`);
    for (const { host } of FROM) await rtts(f, host, WARMUP);
    await web(f, Math.ceil(WARMUP / 10));
    for (const { host, role } of FROM) {
      progress(`${c}: ${PINGS} pings from ${host}`);
      const r = await rtts(f, host);
      rows.push({ case: c, from: host, role, hops: hops(f, host), mean: round(mean(r)), p50: round(median(r)), p99: round(pct(r, 99)), lost: PINGS - r.length });
    }
    progress(`${c}: ${REQUESTS} web requests from the client`);
    const w = await web(f);
    webRows.push({ case: c, mean: round(mean(w)), p50: round(median(w)), p99: round(pct(w, 99)) });
    if (c !== 'not migrated') {
      progress('h11 home again');
      await moveVm(f, VM.home);
    }
  }
} finally {
  await stopFabric(f);
}

const base = new Map(rows.filter((r) => r.case === 'not migrated').map((r) => [r.from, r]));
printTable(`Ping RTT to the VM (ms, ${PINGS} pings at 10 ms after ${WARMUP} not counted), and the ratios to the VM not migrated`, ['case', 'from', 'hops', 'mean', 'p50', 'p99', 'lost', 'mean / not migrated', 'p50 / not migrated', 'paper, client (mean / not migrated)'],
  rows.map((r) => [r.case, `${r.from} (${r.role})`, r.hops, r.mean, r.p50, r.p99, r.lost, round(r.mean / base.get(r.from)!.mean), round(r.p50 / base.get(r.from)!.p50), r.from === 'client' ? paperRatio(r.case) : '']));
const webBase = webRows[0]!;
printTable(`Web response time from the external client (ms, ${REQUESTS} requests)`, ['case', 'mean', 'p50', 'p99', 'mean / not migrated', 'p50 / not migrated'],
  webRows.map((w) => [w.case, w.mean, w.p50, w.p99, round(w.mean / webBase.mean), round(w.p50 / webBase.p50)]));
writeJson('bench/results/paper.json', { pings: PINGS, requests: REQUESTS, warmup: WARMUP, rows, web: webRows, paperPing: PAPER_PING });
writeBarChart('bench/results/paper.svg', 'Ping RTT from the external client to the VM (mean, ms)', 'ms', rows.filter((r) => r.from === 'client').map((r) => ({ label: r.case, value: r.mean, group: r.case === 'not migrated' ? 'reference' : 'svcswitch' })));
process.exit(0);
