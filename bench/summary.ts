/**
 * The last step of `make bench`: one report of the headline figures of every benchmark whose
 * results are under bench/results/, with the machine they were measured on. Printed, and
 * written to bench/results/summary.md (and summary.json) for the notes and docs/benchmarks.md.
 * A benchmark that has not been run is said to be missing, never filled in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

const DIR = 'bench/results';

type Json = Record<string, unknown>;
const read = (name: string): Json | undefined => (existsSync(`${DIR}/${name}.json`) ? (JSON.parse(readFileSync(`${DIR}/${name}.json`, 'utf8')) as Json) : undefined);

const fmt = (n: unknown, digits = 2): string => {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-';
  if (Number.isInteger(n) || Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
};

/** A markdown table. */
const table = (header: string[], rows: unknown[][]): string =>
  [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.map((c) => (typeof c === 'number' ? fmt(c) : String(c ?? '-'))).join(' | ')} |`)].join('\n');

function machine(): string {
  let ovs = 'not installed';
  try {
    ovs = execFileSync('ovs-vsctl', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    // no Open vSwitch: the Mininet benchmarks could not have run here.
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node.js ${process.version}, ${ovs}`;
}

const sections: Array<{ title: string; source: string; body: (j: Json) => string }> = [
  {
    title: '1. The paper\'s validation (bench/paper, Mininet)', source: 'paper',
    body: (j) => {
      const rows = j.rows as Array<{ case: string; from: string; hops: number; mean: number; p99: number }>;
      const base = new Map(rows.filter((r) => r.case === 'not migrated').map((r) => [r.from, r.mean]));
      const web = j.web as Array<{ case: string; mean: number }>;
      return table(['case', 'from', 'hops', 'RTT mean ms', 'p99', '/ not migrated', 'web mean ms'],
        rows.map((r) => [r.case, r.from, r.hops, r.mean, r.p99, r.mean / base.get(r.from)!, r.from === 'client' ? web.find((w) => w.case === r.case)?.mean : '']));
    },
  },
  {
    title: '2. Downtime over many migrations (bench/downtime, Mininet)', source: 'downtime',
    body: (j) => {
      type D = { min: number; p50: number; p99: number; max: number };
      const s = j.summary as Array<{ mode: string; trigger: string; host: string; lost: D; gap: D; streamGap?: D }>;
      const samples = j.samples as Array<{ mode: string; trigger: string; streamsIntact?: boolean; streamIntact?: boolean }>;
      return `${String(j.runs)} migrations per mode and trigger.\n\n${table(['mode', 'trigger', 'correspondent', 'pings lost p50', 'max', 'ping gap p50 ms', 'max', 'TCP silence p50 ms', 'max', 'streams intact'],
        s.map((r) => {
          const mine = samples.filter((x) => x.mode === r.mode && x.trigger === r.trigger);
          return [r.mode, r.trigger, r.host, r.lost.p50, r.lost.max, r.gap.p50, r.gap.max, r.streamGap?.p50, r.streamGap?.max, `${mine.filter((x) => x.streamsIntact ?? x.streamIntact).length}/${mine.length}`];
        }))}`;
    },
  },
  {
    title: '3. Migration at scale (bench/scale, emulated switches)', source: 'scale',
    body: (j) => {
      const c = j.concurrency as Array<{ dc: string; switches: number; coldStartMs?: number; concurrent: number; totalMs: number; p50: number; p99: number; failed: number }>;
      const s = j.single as Array<{
        live: number; vms?: number; startMs: number; p50: number; p99: number; messagesPerMigration: number; cpuMsPerMigration: number;
        rssMb: number; peakRssMb?: number; controllerRssMb?: number; controllerHeapMb?: number;
      }>;
      return [
        c.length ? table(['datacenter', 'switches', 'cold start ms', 'concurrent', 'all confirmed ms', 'p50 ms', 'p99 ms', 'failed'], c.map((r) => [r.dc, r.switches, r.coldStartMs, r.concurrent, r.totalMs, r.p50, r.p99, r.failed])) : 'Concurrency: not in the last run.',
        s.length
          ? table(['live bindings', 'VMs', 'start to in sync ms', 'p50 ms', 'p99 ms', 'messages', 'CPU ms', 'process RSS MB', 'peak RSS MB', 'controller RSS MB', 'controller heap MB'],
            s.map((r) => [r.live, r.vms ?? '', r.startMs, r.p50, r.p99, r.messagesPerMigration, r.cpuMsPerMigration, r.rssMb, r.peakRssMb ?? '', r.controllerRssMb ?? '', r.controllerHeapMb]))
          : 'One migration with N live: not in the last run.',
      ].join('\n\n');
    },
  },
  {
    title: '4. Controller throughput, also while migrating (bench/throughput)', source: 'throughput',
    body: (j) => {
      const r = j.results as Array<{ peer: string; switches: number; repliesPerSecond: number; p99Ms: number; cpuUsPerReply?: number; migrations?: { prepared: number; failed: number; p99Ms: number } }>;
      const ratios = j.ratios as Array<{ switches: number; vsOsKen: number; vsEcho: number; cpuVsEcho?: number; whileMigrating?: number }>;
      return [
        table(['peer', 'switches', 'ARP replies/s', 'p99 ms', 'CPU µs / reply', 'migrations prepared', 'failed', 'prepare p99 ms'],
          r.map((x) => [x.peer, x.switches, x.repliesPerSecond, x.p99Ms, x.cpuUsPerReply ?? '', x.migrations?.prepared ?? '', x.migrations?.failed ?? '', x.migrations?.p99Ms ?? ''])),
        table(['switches', 'svcswitch / os-ken', 'svcswitch / raw echo', 'per CPU-second', 'kept while migrating'], ratios.map((x) => [x.switches, x.vsOsKen, x.vsEcho, x.cpuVsEcho ?? '-', x.whileMigrating ?? '-'])),
      ].join('\n\n');
    },
  },
  {
    title: '5. Flow installation against the native tool (bench/openflow, real OVS)', source: 'openflow',
    body: (j) => {
      const i = j.install as { svcswitchMs: number; ovsOfctlMs: number; ratio: number; rounds: unknown[] };
      return table(['installer', `${fmt(j.flows)} flows, ms (median of ${i.rounds.length})`, 'x ovs-ofctl'], [['svcswitch, batch + barrier', i.svcswitchMs, i.ratio], ['ovs-ofctl add-flows', i.ovsOfctlMs, 1]]);
    },
  },
];

const parts = [`# svcswitch benchmarks: summary\n\nMachine: ${machine()}. Written ${new Date().toISOString()}.\n`];
const found: Record<string, boolean> = {};
for (const s of sections) {
  const j = read(s.source);
  found[s.source] = j !== undefined;
  const when = j ? `Results of ${statSync(`${DIR}/${s.source}.json`).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n` : '';
  parts.push(`## ${s.title}\n\n${when}${j ? s.body(j) : `Missing: ${DIR}/${s.source}.json (run \`make bench-${s.source}\`).`}\n`);
}
const text = parts.join('\n');
process.stdout.write(`\n${text}\n`);
writeFileSync(`${DIR}/summary.md`, text);
writeFileSync(`${DIR}/summary.json`, `${JSON.stringify({ machine: machine(), found }, null, 2)}\n`);
process.stdout.write(`Wrote ${DIR}/summary.md\n`);
