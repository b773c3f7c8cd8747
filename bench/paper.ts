/**
 * make bench-paper: the paper's validation reproduced (the measurements issue, part 1). On
 * dc-small in Mininet, the VM h11 (10.0.1.10, net1 on acc1) not migrated, then migrated to
 * acc3 (net3) in mobile-ip, optimized and first-hop: per case, ping RTT (mean, p50, p99) from
 * the external client, an HN node (h12) and a node of a third subnet (h21), PINGS each; the
 * mean response time of a web server on the VM fetched from the client, REQUESTS times; and
 * the switch hops of each path, from `svcswitch trace`. Beside the paper's own figures
 * (2011 testbed: compare ratios to the case not migrated).
 */
import { resolve } from 'node:path';
import type { MigrationMode } from '../src/migration/binding-store.js';
import { startFabric, stopFabric, type Fabric } from '../lab/fabric.js';
import { until } from '../lab/wait.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const PINGS = Number(process.env.PAPER_PINGS ?? 200);
const REQUESTS = Number(process.env.PAPER_REQUESTS ?? 200);
const VM = { name: 'h11', ip: '10.0.1.10', home: { switch: 'acc1', port: 3 }, abroad: { switch: 'acc3', port: 5 } };
const FROM = [
  { host: 'client', role: 'external client' },
  { host: 'h12', role: 'HN node' },
  { host: 'h21', role: 'third subnet' },
];
/** The paper's figures (ms): ping from the external client, web response time. */
const PAPER: Record<string, { ping?: number; web?: number }> = {
  'not migrated': { ping: 2.573, web: 3.4 },
  'mobile-ip': { ping: 3.192 },
  optimized: { ping: 2.034, web: 3.1 },
  'first-hop': {},
};

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (n: number): number => Math.round(n * 1000) / 1000;

async function rtts(f: Fabric, from: string): Promise<number[]> {
  const out = String((await f.dc.do({ op: 'cmd', host: from, cmd: `ping -n -c ${PINGS} -i 0.01 -W 1 ${VM.ip}` }, 120_000)).output);
  return [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function web(f: Fabric): Promise<number[]> {
  const cmd = `for i in $(seq ${REQUESTS}); do curl -s -o /dev/null -w '%{time_total}\\n' http://${VM.ip}:8000/; done`;
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
printTable(`Ping RTT to the VM (ms, ${PINGS} pings at 10 ms), and the ratio to the VM not migrated`, ['case', 'from', 'hops', 'mean', 'p50', 'p99', 'lost', 'mean / not migrated', 'paper (client)'],
  rows.map((r) => [r.case, `${r.from} (${r.role})`, r.hops, r.mean, r.p50, r.p99, r.lost, round(r.mean / base.get(r.from)!.mean), r.from === 'client' ? (PAPER[r.case]?.ping ?? '-') : '']));
const webBase = webRows[0]!.mean;
printTable(`Web response time from the external client (ms, ${REQUESTS} requests)`, ['case', 'mean', 'p50', 'p99', 'mean / not migrated', 'paper'],
  webRows.map((w) => [w.case, w.mean, w.p50, w.p99, round(w.mean / webBase), PAPER[w.case]?.web ?? '-']));
writeJson('bench/results/paper.json', { pings: PINGS, requests: REQUESTS, rows, web: webRows, paper: PAPER });
writeBarChart('bench/results/paper.svg', 'Ping RTT from the external client to the VM (mean, ms)', 'ms', rows.filter((r) => r.from === 'client').map((r) => ({ label: r.case, value: r.mean, group: r.case === 'not migrated' ? 'reference' : 'svcswitch' })));
process.exit(0);
