/**
 * make bench-cold-start (and the first part of make bench-scale): from the controller's start
 * to every switch in sync, on generated three-tier datacenters of about 40, 400, 2,000 and
 * 10,000 switches, each emulated over TCP by the switch farm (bench/lib/switch-farm.ts: real
 * flow and group tables) in a process of its own. Per size: the time (the topology file's
 * parse included, as `svcswitch run` reads it), the entries the switches hold, the entries of
 * the fullest access switch, and the controller's resident memory once settled.
 *
 * The reference is the same benchmark on other code, in the same run: COLD_START_BASELINE=
 * <commit> builds that commit's controller apart (git archive, tsc; nothing is checked out
 * here) and measures it beside this tree's, size by size; the table gives the ratio. A
 * baseline that plans every pair (before issue 26) takes minutes at 2,000 switches: it runs
 * the sizes in COLD_START_BASELINE_SIZES only (default 40,400,2000).
 *
 * COLD_START_SIZES=40,400 picks sizes (default all four). Each run is a process of its own:
 * what it measures of memory is that controller's alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { printTable, progress, writeBarChart, writeJson } from './lib/report.js';

interface Size {
  name: string;
  cores: number;
  aggregations: number;
  accessPerAggregation: number;
}
const SIZES: Size[] = [
  { name: '40', cores: 2, aggregations: 4, accessPerAggregation: 8 },
  { name: '400', cores: 4, aggregations: 20, accessPerAggregation: 18 },
  { name: '2000', cores: 8, aggregations: 50, accessPerAggregation: 39 },
  { name: '10000', cores: 16, aggregations: 100, accessPerAggregation: 99 },
];
const HOSTS_PER_ACCESS = 2;
const SETTLE_MS = 5_000;

interface Row {
  code: string;
  switches: number;
  parseMs: number;
  inSyncMs: number;
  flows: number;
  groups: number;
  accessMaxEntries: number;
  rssMb: number;
}

// ---------------------------------------------------------------------------------------
// One run, in a child process: the controller of `root` (a tree with dist/) on one size.
const RUN = process.env.COLD_START_RUN;
if (RUN !== undefined) {
  const { root, size, code } = JSON.parse(RUN) as { root: string; size: Size; code: string };
  const dist = (path: string): string => pathToFileURL(join(root, 'dist', path)).href;
  const { threeTier } = (await import(dist('src/topology/generator.js'))) as typeof import('../src/topology/generator.js');
  const { parseTopology } = (await import(dist('src/topology/loader.js'))) as typeof import('../src/topology/loader.js');
  const { createLogger } = (await import(dist('src/log/logger.js'))) as typeof import('../src/log/logger.js');
  const { startSvcswitch } = (await import(dist('lab/svcswitch.js'))) as typeof import('../lab/svcswitch.js');
  const { until } = (await import(dist('lab/wait.js'))) as typeof import('../lab/wait.js');
  const text = threeTier({ ...size, hostsPerAccess: HOSTS_PER_ACCESS });
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-cold-start-'));
  const began = performance.now();
  const t = parseTopology(text, 'three-tier');
  const parseMs = Math.round(performance.now() - began);
  const { app, port } = await startSvcswitch(t, createLogger('error', 'json'), {
    stateDir: dir, auditIntervalMs: 0, lldpIntervalMs: 60_000, echoIntervalMs: 60_000, requestTimeoutMs: 600_000,
    // As `svcswitch run` does after a start: no switch is reconciled before every one is back.
    holdDown: { startupMs: 600_000, maxMs: 600_000 },
  });
  const farm = await startFarm(t, port, dir);
  await until(() => app.openflow.connected.size === t.switches.length, 'every switch past its handshake', 600_000);
  await app.settled(100, 3_600_000);
  const inSyncMs = Math.round(performance.now() - began);
  const counts = await farm.count();
  const accessMaxEntries = Math.max(...t.switches.filter((s) => s.tier === 'access').map((s) => app.flows.plans.plan(s.dpid).entries));
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  (globalThis as { gc?: () => void }).gc?.();
  const rssMb = Math.round(process.memoryUsage().rss / 1e6);
  const row: Row = { code, switches: t.switches.length, parseMs, inSyncMs, flows: counts.flows, groups: counts.groups, accessMaxEntries, rssMb };
  await farm.stop();
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.exit(0);
}

/** The switch farm (this tree's) for a datacenter, connected to `port`; resolves once every switch is. */
async function startFarm(t: { switches: Array<{ name: string; dpid: string }>; links: Array<{ a: { switch: string; port: number }; b: { switch: string; port: number } }>; hosts: Array<{ switch: string; port: number }> }, port: number, dir: string) {
  const ports = new Map<string, Set<number>>(t.switches.map((s) => [s.name, new Set<number>()]));
  for (const l of t.links) for (const e of [l.a, l.b]) ports.get(e.switch)!.add(e.port);
  for (const h of t.hosts) ports.get(h.switch)!.add(h.port);
  const spec = join(dir, 'farm.json');
  writeFileSync(spec, JSON.stringify({ port, switches: t.switches.map((s) => ({ dpid: s.dpid, ports: [...ports.get(s.name)!] })) }));
  const child = spawn(process.execPath, ['--max-old-space-size=8192', resolve('dist/bench/lib/switch-farm.js'), spec], { stdio: 'pipe' });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(`[farm] ${d}`));
  const answers: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => answers.shift()?.(line));
  const next = (): Promise<Record<string, number>> => new Promise((r) => answers.push((line) => r(JSON.parse(line) as Record<string, number>)));
  await next();
  return {
    count: async () => {
      const answer = next();
      child.stdin.write('count\n');
      return (await answer) as { flows: number; groups: number };
    },
    stop: async () => {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

// ---------------------------------------------------------------------------------------
/** Builds `commit` apart into a temporary directory (its own dist/, this tree's node_modules); returns the directory. */
function buildBaseline(commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-baseline-'));
  progress(`building the baseline ${commit} apart`);
  execFileSync('sh', ['-c', `git archive --format=tar "$1" | tar -x -C "$2"`, 'sh', commit, dir], { stdio: 'inherit' });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  return dir;
}

async function runApart(root: string, size: Size, code: string): Promise<Row> {
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...(process.env.COLD_START_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.COLD_START_PROFILE}`] : []), process.argv[1]!], {
    env: { ...process.env, COLD_START_RUN: JSON.stringify({ root, size, code }) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = await new Promise<number | null>((r) => child.once('exit', r));
  if (exit !== 0) throw new Error(`${code} on ${size.name} switches failed (exit ${exit})`);
  const row = JSON.parse(out.trim().split('\n').at(-1)!) as Row;
  progress(`${code}, ${row.switches} switches: in sync after ${(row.inSyncMs / 1000).toFixed(1)} s, ${row.flows + row.groups} entries, ${row.accessMaxEntries} on the fullest access switch, ${row.rssMb} MB`);
  return row;
}

const sizes = SIZES.filter((s) => (process.env.COLD_START_SIZES ?? '40,400,2000,10000').split(',').includes(s.name));
const baselineCommit = process.env.COLD_START_BASELINE;
const baselineSizes = (process.env.COLD_START_BASELINE_SIZES ?? '40,400,2000').split(',');
const baseline = baselineCommit ? buildBaseline(baselineCommit) : undefined;
const rows: Row[] = [];
try {
  for (const size of sizes) {
    progress(`${size.name} switches: this tree`);
    rows.push(await runApart(resolve('.'), size, 'this tree'));
    if (baseline && baselineSizes.includes(size.name)) {
      progress(`${size.name} switches: baseline ${baselineCommit}`);
      rows.push(await runApart(baseline, size, `baseline ${baselineCommit}`));
    }
  }
} finally {
  if (baseline && existsSync(baseline)) rmSync(baseline, { recursive: true, force: true });
}

const ratio = (r: Row, pick: (x: Row) => number): string => {
  const ref = rows.find((x) => x.switches === r.switches && x.code !== 'this tree');
  return r.code === 'this tree' && ref ? `${(pick(ref) / Math.max(1, pick(r))).toFixed(1)}x` : '';
};
printTable('Cold start: the controller started, every switch connected and in sync (barrier-confirmed)', ['code', 'switches', 'parse (ms)', 'in sync (ms)', 'faster', 'flows on the switches', 'groups', 'entries on the fullest access switch', 'controller RSS (MB)', 'less memory'],
  rows.map((r) => [r.code, r.switches, r.parseMs, r.inSyncMs, ratio(r, (x) => x.inSyncMs), r.flows, r.groups, r.accessMaxEntries, r.rssMb, ratio(r, (x) => x.rssMb)]));
writeJson('bench/results/cold-start.json', { rows, baseline: baselineCommit ?? null, hostsPerAccess: HOSTS_PER_ACCESS, machine: { cpus: (await import('node:os')).cpus().length, node: process.version } });
writeBarChart('bench/results/cold-start.svg', 'Cold start to every switch in sync (s)', 's', rows.map((r) => ({ label: `${r.switches.toLocaleString('en-US')} switches`, value: Math.round(r.inSyncMs / 100) / 10, group: r.code })));
process.exit(0);
