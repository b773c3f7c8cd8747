/**
 * make bench-scale: migration at datacenter scale, without Mininet (the reliability
 * issue's measurements, part 3). Generated three-tier datacenters of about 40, 400 and 2,000
 * switches; every switch emulated over TCP by a switch farm in a process of its own
 * (bench/lib/switch-farm.ts: real flow and group tables), so that this process holds the
 * controller alone. VMs are declared hosts: no Mininet host is needed.
 *
 *  1. Concurrent orchestrated migrations (1 to 10,000): time until every one is prepared and
 *     barrier-confirmed, and each one's latency.
 *  2. One migration's cost with 1k, 10k and 100k bindings already live (loaded from the state
 *     file at start, as after a restart): latency, messages sent, controller CPU.
 *  3. Entries per switch, per mode, as bindings grow (pure planner counts).
 *  4. Controller resident memory with the bindings live.
 *
 * SCALE_QUICK=1 runs the small sizes only; SCALE_HEAP_SNAPSHOT=FILE writes a heap snapshot once
 * the bindings of part 2 are live (what the memory is made of).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Svcswitch } from '../src/app/svcswitch.js';
import { fabricContext } from '../src/fabric/fabric-planner.js';
import type { Binding, MigrationMode } from '../src/migration/binding-store.js';
import { planMigration } from '../src/migration/migration-planner.js';
import { openStateDatabase } from '../src/state/database.js';
import { SqliteBindingStore } from '../src/state/sqlite-binding-store.js';
import { intToIp } from '../src/topology/cidr.js';
import { fabricGraph } from '../src/topology/fabric-graph.js';
import { threeTier } from '../src/topology/generator.js';
import { parseTopology } from '../src/topology/loader.js';
import type { Topology } from '../src/topology/model.js';
import { networksOf } from '../src/topology/networks.js';
import { createLogger } from '../src/log/logger.js';
import { startSvcswitch } from '../lab/svcswitch.js';
import { until } from '../lab/wait.js';
import { median, pct, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const QUICK = process.env.SCALE_QUICK === '1';
/** SCALE_SIZES=40,400,2000 picks the datacenters of the concurrency runs (default: all three). */
const SIZE_NAMES = (process.env.SCALE_SIZES ?? '40,400,2000').split(',');
/** SCALE_PARTS=2,3 runs some parts only. */
const PARTS = new Set((process.env.SCALE_PARTS ?? '1,2,3').split(','));

interface Size {
  name: string;
  cores: number;
  aggregations: number;
  accessPerAggregation: number;
}
const SIZES: Size[] = [
  { name: '40 switches', cores: 2, aggregations: 4, accessPerAggregation: 8 },
  { name: '400 switches', cores: 4, aggregations: 20, accessPerAggregation: 18 },
  { name: '2,000 switches', cores: 8, aggregations: 50, accessPerAggregation: 39 },
];

/** Subnet i's first address: a /19 each (2,000 access switches fit in 10.0.0.0/8). */
const subnetBase = (i: number): number => ((10 << 24) >>> 0) + (i + 1) * 8192;

/** A generated datacenter with a /19 per access switch, `hostsPerAccess` VMs each (at most 3,840), and a CoA pool of 4,096 per subnet. */
function datacenter(size: Size, hostsPerAccess: number): Topology {
  const t = parseTopology(threeTier({ ...size, hostsPerAccess: 1 }), 'three-tier');
  const subnets = t.subnets.map((s, i) => ({ ...s, prefix: `${intToIp(subnetBase(i))}/19`, gateway: intToIp(subnetBase(i) + 1), coaPool: { first: intToIp(subnetBase(i) + 4096), last: intToIp(subnetBase(i) + 8191) } }));
  const uplinks = new Map<string, number>();
  for (const l of t.links) for (const e of [l.a, l.b]) uplinks.set(e.switch, Math.max(uplinks.get(e.switch) ?? 0, e.port));
  const hosts = subnets.flatMap((s, i) => Array.from({ length: hostsPerAccess }, (_, k) => {
    const n = (i << 20) | k;
    return { name: `vm${i + 1}_${k + 1}`, mac: `02:${[n >>> 24, n >>> 16, n >>> 8, n].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}:01`, ip: intToIp(subnetBase(i) + 256 + k), switch: s.switch, port: (uplinks.get(s.switch) ?? 0) + 1 + k, network: s.name, external: false };
  }));
  return { ...t, subnets, hosts: [...hosts, ...t.hosts.filter((h) => h.external)] };
}

/** The switch farm for a datacenter, connected to `port`; resolves once every switch is. */
async function farm(t: Topology, port: number, dir: string): Promise<{ child: ChildProcessWithoutNullStreams; count: () => Promise<{ flows: number; groups: number; mods: number }> }> {
  const ports = new Map<string, Set<number>>(t.switches.map((s) => [s.name, new Set<number>()]));
  for (const l of t.links) for (const e of [l.a, l.b]) ports.get(e.switch)!.add(e.port);
  for (const h of t.hosts) ports.get(h.switch)!.add(h.port);
  const spec = join(dir, 'farm.json');
  writeFileSync(spec, JSON.stringify({ port, switches: t.switches.map((s) => ({ dpid: s.dpid, ports: [...ports.get(s.name)!] })) }));
  const child = spawn(process.execPath, ['--max-old-space-size=8192', 'dist/bench/lib/switch-farm.js', spec], { stdio: 'pipe' });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(`[farm] ${d}`));
  const answers: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => answers.shift()?.(line));
  const next = (): Promise<Record<string, number>> => new Promise((resolve) => answers.push((line) => resolve(JSON.parse(line) as Record<string, number>)));
  await next();
  return {
    child,
    count: async () => {
      const answer = next();
      child.stdin.write('count\n');
      return (await answer) as { flows: number; groups: number; mods: number };
    },
  };
}

/** This process's resident memory after a full gc (run with --expose-gc): the controller, and the benchmark's own topology. */
const rssMb = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().rss / 1e6);
};
/**
 * Resident memory once V8 has given back what it no longer uses: right after a cold start
 * the heap still spans the pages its garbage filled (twice the live data, say), and V8's
 * memory reducer returns them only after some seconds without work.
 */
async function settledRssMb(): Promise<number> {
  rssMb();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return rssMb();
}
const SETTLE_MS = 20_000;

/** The JS heap in use after a full gc, MB: measured before the controller starts and with it running, the difference is the controller's. */
const heapMb = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e6);
};

/** The controller and its farm on a datacenter; `bindings` are written to the state file first (live at start, as after a restart). */
async function start(t: Topology, bindings: Binding[]): Promise<{ app: Svcswitch; stop: () => Promise<void>; count: () => Promise<{ flows: number; groups: number; mods: number }>; startMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-scale-'));
  if (bindings.length > 0) {
    const db = openStateDatabase(dir);
    const store = new SqliteBindingStore(db);
    store.transaction(() => {
      for (const b of bindings) store.put(b);
    });
    db.close();
  }
  const began = performance.now();
  // One farm process emulates every switch: on 2,000 switches it takes tens of seconds to take in a cold start's millions of mods, so barriers get minutes.
  const { app, port } = await startSvcswitch(t, createLogger('error', 'json'), { stateDir: dir, auditIntervalMs: 0, lldpIntervalMs: 60_000, echoIntervalMs: 60_000, requestTimeoutMs: 300_000,
    // As `svcswitch run` does after a start: no switch is reconciled before every one is back (a farm of 2,000 takes a while to connect).
    holdDown: { startupMs: 120_000, maxMs: 120_000 }, migration: { mode: 'optimized', timeoutMs: 600_000, confirmTimeoutMs: 600_000, trigger: 'orchestrated-only', history: 256 } });
  const f = await farm(t, port, dir);
  await until(() => app.openflow.connected.size === t.switches.length, 'every switch past its handshake', 120_000);
  await app.settled(100, 600_000);
  const startMs = Math.round(performance.now() - began);
  return {
    app, count: f.count, startMs,
    stop: async () => {
      f.child.stdin.end();
      await new Promise((r) => f.child.once('exit', r));
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The VMs of a datacenter (its hosts but the external client), subnet by subnet. */
const vmCache = new WeakMap<Topology, Topology['hosts']>();
function vms(t: Topology): Topology['hosts'] {
  const cached = vmCache.get(t);
  if (cached) return cached;
  const v = t.hosts.filter((h) => !h.external);
  vmCache.set(t, v);
  return v;
}

/** VM number k of the datacenter, and a target for it: a port of the next subnet's access switch. */
function move(t: Topology, k: number): { hoa: string; switch: string; port: number } {
  const access = t.subnets.length;
  const perAccess = vms(t).length / access;
  const i = k % access;
  const h = vms(t)[i * perAccess + Math.floor(k / access)]!;
  return { hoa: h.ip, switch: t.subnets[(i + 1) % access]!.switch, port: 60_000 + (k % 5000) };
}

/** A live binding for VM k (optimized, at a port of the subnet after the next: not where `move` sends it). */
function bindingFor(t: Topology, k: number): Binding {
  const access = t.subnets.length;
  const perAccess = vms(t).length / access;
  const i = k % access;
  const h = vms(t)[i * perAccess + perAccess - 1 - Math.floor(k / access)]!;
  const to = t.subnets[(i + 2) % access]!;
  const n = Math.floor(k / access);
  return {
    hoa: h.ip, mac: h.mac, homeSubnet: t.subnets[i]!.name, home: { switch: h.switch, port: h.port }, subnet: to.name,
    coa: intToIp(subnetBase((i + 2) % access) + 4096 + n), switch: to.switch, port: 50_000 + (n % 10_000), mode: 'optimized', state: 'active', createdAt: 1, updatedAt: 1,
  };
}

// ---------------------------------------------------------------------------------------
// 2. One migration with N bindings live, on the 400-switch datacenter; 4. memory. Each run is
// a process of its own (SCALE_SINGLE_RUN): what it measures of memory is then this
// controller's, not what an earlier run left behind in the heap or the resident set.
const LIVE = !PARTS.has('2') ? [] : QUICK ? [1_000, 10_000] : (process.env.SCALE_LIVE ?? '1000,10000,100000').split(',').map(Number);
const MIGRATIONS = 200;
type SingleRow = {
  live: number; vms: number; startMs: number; p50: number; p99: number; messagesPerMigration: number; cpuMsPerMigration: number;
  rssMb: number; controllerRssMb: number; peakRssMb: number; controllerHeapMb: number; flowsOnSwitches: number;
};
const size400 = QUICK ? SIZES[0]! : SIZES[1]!;

async function singleRun(live: number, sizedFor: number, snapshot: boolean): Promise<SingleRow> {
  const access = size400.aggregations * size400.accessPerAggregation;
  // Twice the VMs the bindings and the migrations need: half of the datacenter's VMs have moved subnet.
  const t = datacenter(size400, Math.ceil((sizedFor + MIGRATIONS) / access) * 2 + 2);
  const vmCount = vms(t).length;
  progress(`${size400.name}, ${vmCount.toLocaleString('en-US')} VMs: ${live.toLocaleString('en-US')} live bindings loaded, then ${MIGRATIONS} migrations one after another`);
  const rssBefore = await settledRssMb();
  const heapBefore = heapMb();
  const c = await start(t, Array.from({ length: live }, (_, k) => bindingFor(t, k)));
  if (snapshot && process.env.SCALE_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.SCALE_HEAP_SNAPSHOT);
  const latencies: number[] = [];
  const sentBefore = c.app.flows.sentMessages;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < MIGRATIONS; i++) {
    const began = performance.now();
    const m = await c.app.migration.migrate(move(t, i));
    latencies.push(performance.now() - began);
    c.app.migration.cancel(m.id);
  }
  await c.app.settled(50, 600_000);
  const cpu = process.cpuUsage(cpuBefore);
  const farmCount = await c.count();
  const controllerHeapMb = heapMb() - heapBefore;
  const rss = await settledRssMb();
  const row = {
    live, vms: vmCount, startMs: c.startMs, p50: Math.round(median(latencies) * 10) / 10, p99: Math.round(pct(latencies, 99) * 10) / 10,
    messagesPerMigration: Math.round(((c.app.flows.sentMessages - sentBefore) / MIGRATIONS) * 10) / 10,
    cpuMsPerMigration: Math.round(((cpu.user + cpu.system) / 1000 / MIGRATIONS) * 100) / 100,
    rssMb: rss, controllerRssMb: rss - rssBefore, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), controllerHeapMb, flowsOnSwitches: farmCount.flows,
  };
  await c.stop();
  return row;
}

/** One run in a child process: its row comes back as the last line of its output. */
async function singleRunApart(live: number, sizedFor: number, snapshot: boolean): Promise<SingleRow> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
    env: { ...process.env, SCALE_SINGLE_RUN: JSON.stringify({ live, sizedFor, snapshot }) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`the run with ${live} bindings failed (exit ${code})`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as SingleRow;
}

const SINGLE_RUN = process.env.SCALE_SINGLE_RUN;
if (SINGLE_RUN !== undefined) {
  const { live, sizedFor, snapshot } = JSON.parse(SINGLE_RUN) as { live: number; sizedFor: number; snapshot: boolean };
  process.stdout.write(`${JSON.stringify(await singleRun(live, sizedFor, snapshot))}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// 1. Concurrent migrations on the 40-switch datacenter (and 1,000 on the larger ones).
const concurrency: Array<{ dc: string; switches: number; coldStartMs: number; concurrent: number; totalMs: number; p50: number; p99: number; failed: number }> = [];
for (const size of !PARTS.has('1') ? [] : QUICK ? SIZES.slice(0, 1) : SIZES.filter((s) => SIZE_NAMES.includes(s.name.replace(/\D/g, '')))) {
  const small = size === SIZES[0];
  const counts = small ? [1, 100, 1_000, 10_000] : [1, 100, 1_000];
  const t = datacenter(size, Math.ceil(Math.max(...counts) / (size.aggregations * size.accessPerAggregation)) + 1);
  progress(`${size.name} (${t.switches.length}): starting the controller and the switch farm`);
  const c = await start(t, []);
  for (const k of counts) {
    progress(`${size.name}: ${k.toLocaleString('en-US')} concurrent migrations`);
    const began = performance.now();
    const latencies: number[] = [];
    const results = await Promise.allSettled(Array.from({ length: k }, async (_, i) => {
      const m = await c.app.migration.migrate(move(t, i));
      latencies.push(performance.now() - began);
      return m;
    }));
    const totalMs = Math.round(performance.now() - began);
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) progress(`${failed} failed: ${String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)}`);
    concurrency.push({ dc: size.name, switches: t.switches.length, coldStartMs: c.startMs, concurrent: k, totalMs, p50: Math.round(pct(latencies, 50)), p99: Math.round(pct(latencies, 99)), failed });
    for (const r of results) if (r.status === 'fulfilled') c.app.migration.cancel(r.value.id);
    await c.app.settled(50, 600_000);
  }
  await c.stop();
}
printTable('1. Concurrent orchestrated migrations (optimized): every one prepared and barrier-confirmed', ['datacenter', 'switches', 'cold start to in sync (ms)', 'concurrent', 'all confirmed (ms)', 'p50 (ms)', 'p99 (ms)', 'failed'],
  concurrency.map((r) => [r.dc, r.switches, r.coldStartMs, r.concurrent, r.totalMs, r.p50, r.p99, r.failed]));

// ---------------------------------------------------------------------------------------
// 2. (continued) The runs, each in its own process.
const single: SingleRow[] = [];
/** The largest run is preceded by one with no binding on the same datacenter: what the VMs cost, the rest is the bindings'. */
const largest = Math.max(0, ...LIVE);
const runs = LIVE.flatMap((live) => (live === largest && live > 0 ? [{ live: 0, sizedFor: live }, { live, sizedFor: live }] : [{ live, sizedFor: live }]));
for (const { live, sizedFor } of runs) single.push(await singleRunApart(live, sizedFor, live === largest));
printTable(`2. One migration (prepare and confirm, then cancel) with N bindings live, ${size400.name}; controller memory (resident once settled; the peak is the process's)`,
  ['live bindings', 'VMs', 'start to in sync (ms)', 'p50 (ms)', 'p99 (ms)', 'messages / migration', 'controller CPU ms / migration', 'process RSS (MB)', 'peak RSS (MB)', 'controller RSS (MB)', 'controller heap (MB)', 'flows on the switches'],
  single.map((r) => [r.live, r.vms, r.startMs, r.p50, r.p99, r.messagesPerMigration, r.cpuMsPerMigration, r.rssMb, r.peakRssMb, r.controllerRssMb, r.controllerHeapMb, r.flowsOnSwitches]));

// ---------------------------------------------------------------------------------------
// 3. Entries per switch, per mode (pure planner counts on the 400-switch datacenter).
const t400 = datacenter(size400, 4);
const ctx = fabricContext(t400);
const graph = fabricGraph(t400);
const networks = networksOf(t400).filter((n) => !n.external);
const modes: MigrationMode[] = ['mobile-ip', 'optimized', 'first-hop'];
const perBinding = modes.map((mode) => {
  const b = bindingFor(t400, 0);
  const home = networks.find((n) => n.name === b.homeSubnet)!;
  const tables = planMigration(ctx, graph, { hoa: b.hoa, mac: b.mac, home, mode, at: { switch: b.switch, port: b.port, coa: b.coa }, group: undefined });
  const byTier = new Map<string, { switches: number; entries: number }>();
  for (const [sw, tb] of tables) {
    const tier = t400.switches.find((s) => s.name === sw)!.tier;
    const e = byTier.get(tier) ?? { switches: 0, entries: 0 };
    byTier.set(tier, { switches: e.switches + 1, entries: e.entries + tb.flows.length });
  }
  return { mode, byTier, total: [...byTier.values()].reduce((n, e) => n + e.entries, 0) };
});
const accessCount = t400.switches.filter((s) => s.tier === 'access').length;
const entriesRows = perBinding.flatMap(({ mode, byTier, total }) => [1_000, 10_000, 100_000].map((n) => {
  const access = byTier.get('access')?.entries ?? 0;
  const edge = byTier.get('edge')?.entries ?? 0;
  // Bindings spread evenly: an access switch is Home and Foreign for 2/accessCount of them; in first-hop every access switch redirects every binding.
  const perAccess = Math.round((n * access) / accessCount);
  const busiest = Math.max(perAccess, n * edge);
  return [mode, n, total, perAccess, n * edge, busiest > 4_000 ? `past it (${busiest.toLocaleString('en-US')} on the busiest switch)` : 'fits'];
}));
printTable(`3. Entries per switch as bindings grow (${size400.name}, ${accessCount} access switches, bindings spread evenly)`, ['mode', 'bindings', 'entries / binding (all switches)', 'entries / access switch', 'entries on the edge switch', 'a hardware table (~4k entries)'], entriesRows);

writeJson('bench/results/scale.json', { concurrency, single, entries: entriesRows, machine: { cpus: (await import('node:os')).cpus().length, node: process.version } });
writeBarChart('bench/results/scale.svg', 'Migration at scale: p99 of one migration (ms) with N bindings live', 'ms', single.map((r) => ({ label: `${r.live.toLocaleString('en-US')} live`, value: r.p99, group: 'svcswitch' })));
process.exit(0);
