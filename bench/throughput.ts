import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync } from 'node:fs';
import { freePort } from './lib/net.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

/**
 * make bench-throughput: ARP requests for a gateway in PACKET_INs, answered by PACKET_OUTs,
 * from 1, 16 and 64 emulated switches (bench/lib/cbench.ts), side by side in one run:
 * svcswitch, os-ken running the equivalent app (bench/peers/osken_arp.py), and a raw TCP
 * echo server (the ceiling of this I/O path here). Each peer runs in its own process; rounds
 * (BENCH_ROUNDS, 3) interleave the peers and the tables report medians.
 *
 * The fourth run is svcswitch again while BENCH_MIGRATIONS (100) orchestrated migrations a
 * second go on through its REST API: each moves VM i from acc_i to acc_i+1, is prepared and
 * barrier-confirmed, then cancelled (rolled back), so every second brings 100 prepares and 100
 * roll-backs, each a set of flow and group mods. It needs two access switches at least.
 */

const SWITCH_COUNTS = (process.env.BENCH_SWITCHES ?? '1,16,64').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 32);
/** Hosts per emulated switch (cbench --hosts): 64, the per-port limit; 100 measures the MAC-flood defence instead. */
const HOSTS = process.env.BENCH_HOSTS ?? '64';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIGRATIONS_PER_SECOND = Number(process.env.BENCH_MIGRATIONS ?? 100);

interface Peer {
  name: string;
  command: (port: number, api: number) => [string, string[]];
  echo: boolean;
  /** Migrations a second driven through the REST API during the run (svcswitch only). */
  migrations?: number;
}

/** svcswitch as the benchmark runs it (BENCH_NODE_ARGS="--cpu-prof" profiles it): state in memory (never the user's state dir), no audit (the emulated switches keep no tables). */
const svcswitch = (p: number, api: number): [string, string[]] => ['node', [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), 'dist/src/cli.js', 'run', '--topology', 'bench/topologies/access-64.yaml', '--of-listen', `127.0.0.1:${p}`, '--api-listen', `127.0.0.1:${api}`,
  '--state-dir', 'none', '--audit-interval', '0', '--hold-down', '300', '--log-level', 'error', '--log-format', 'json', '--lldp-interval', '60000']];
const MIGRATING = `svcswitch + ${MIGRATIONS_PER_SECOND} migrations/s`;

const ALL_PEERS: Peer[] = [
  { name: 'svcswitch', echo: false, command: svcswitch },
  { name: MIGRATING, echo: false, command: svcswitch, migrations: MIGRATIONS_PER_SECOND },
  { name: 'os-ken', echo: false, command: (p) => ['osken-manager', ['--ofp-listen-host', '127.0.0.1', '--ofp-tcp-listen-port', String(p), 'bench/peers/osken_arp.py']] },
  { name: 'raw TCP echo', echo: true, command: (p) => ['node', ['dist/bench/peers/echo-server.js', String(p)]] },
];
/** BENCH_PEERS=svcswitch,os-ken runs some peers only (names as in the table; "migrating" for the run with migrations). */
const PEERS = process.env.BENCH_PEERS ? ALL_PEERS.filter((p) => process.env.BENCH_PEERS!.split(',').some((n) => n === p.name || (n === 'migrating' && p.migrations))) : ALL_PEERS;

async function listening(port: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

/** The generator's result; `onMeasuring` is called when it starts counting (every switch ready, warm-up over). */
function generate(args: string[], onMeasuring: () => void): Promise<Omit<Run, 'cpuUsPerReply' | 'cpuShare' | 'migrations'>> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['dist/bench/lib/cbench.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if ((JSON.parse(line) as { measuring?: boolean }).measuring) onMeasuring();
      else result = line;
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(result) as Omit<Run, 'cpuUsPerReply' | 'cpuShare' | 'migrations'>) : reject(new Error(`the generator exited ${code}`))));
  });
}

/** A process's CPU time so far (user + system), ms: fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One cbench run against one peer. */
interface Run {
  switches: number;
  repliesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  invalid: number;
  notReady: number;
  /** How long the switches took to be ready (the controller's handshakes and first tables), ms. */
  readyMs: number;
  /**
   * The peer's own CPU (user + system, from /proc) per reply over the measured seconds: what a
   * reply costs it, whatever share of this 2-core machine the generator and the kernel left it.
   */
  cpuUsPerReply: number;
  /** The share of one core the peer used while measured (1 = a whole core). */
  cpuShare: number;
  migrations?: MigrationLoad;
}

/** What the migration driver did during one run's measured seconds. */
interface MigrationLoad {
  asked: number;
  prepared: number;
  failed: number;
  /** Ticks that found their VM still in flight (its previous migration not yet rolled back). */
  skipped: number;
  /** Why the failed ones failed (the first few answers). */
  failures: string[];
  p50Ms: number;
  p99Ms: number;
}

async function api(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: { id?: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: (await res.json()) as { id?: string } };
}

/**
 * `rate` migrations a second for `seconds`, from when the generator starts counting: VM i (10.1.i.50) to acc_i+1:3,
 * prepared, then cancelled. A VM whose previous migration is still going is skipped, not queued,
 * so the load never grows beyond one migration per VM.
 */
async function driveMigrations(apiPort: number, switches: number, rate: number, seconds: number): Promise<MigrationLoad> {
  const load = { asked: 0, prepared: 0, failed: 0, skipped: 0, failures: [] as string[] };
  const latencies: number[] = [];
  const busy = new Set<number>();
  const one = async (vm: number): Promise<void> => {
    busy.add(vm);
    const t0 = performance.now();
    try {
      const m = await api(apiPort, 'POST', '/api/migrations', { hoa: `10.1.${vm}.50`, switch: `acc${(vm + 1) % switches}`, port: 3 });
      if (m.status !== 201 || !m.json.id) throw new Error(`migrate answered ${m.status}: ${JSON.stringify(m.json)}`);
      latencies.push(performance.now() - t0);
      load.prepared++;
      const c = await api(apiPort, 'DELETE', `/api/migrations/${m.json.id}`);
      if (c.status !== 200) throw new Error(`cancel answered ${c.status}: ${JSON.stringify(c.json)}`);
    } catch (e) {
      load.failed++;
      if (load.failures.length < 5) load.failures.push((e as Error).message);
    } finally {
      busy.delete(vm);
    }
  };
  const start = performance.now();
  const going: Array<Promise<void>> = [];
  let next = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; load.asked + load.skipped < due; next++) {
      const vm = next % switches;
      if (busy.has(vm)) load.skipped++;
      else {
        load.asked++;
        going.push(one(vm));
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(going);
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { ...load, p50Ms: q(0.5), p99Ms: q(0.99) };
}

/** The median run of a peer at one switch count, with every round's rate beside it. */
interface Result extends Run {
  peer: string;
  rounds: number[];
}

/** Starts the peer in its own process, runs the generator at every switch count against it, and stops it. */
async function measure(peer: Peer, round: number): Promise<Run[]> {
  const port = await freePort();
  const apiPort = await freePort();
  const [cmd, args] = peer.command(port, apiPort);
  progress(`round ${round}/${ROUNDS}, ${peer.name}: starting on 127.0.0.1:${port}`);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const runs: Run[] = [];
  try {
    await listening(port);
    for (const n of SWITCH_COUNTS) {
      if (peer.migrations && n < 2) continue;
      progress(`round ${round}/${ROUNDS}, ${peer.name}: ${n} switch(es), window ${WINDOW}, ${SECONDS} s`);
      let cpuAtStart = 0;
      let started: () => void = () => {};
      const measuring = new Promise<void>((r) => (started = r));
      const migrations = peer.migrations ? measuring.then(() => driveMigrations(apiPort, n, peer.migrations!, SECONDS)) : undefined;
      const args = ['--port', String(port), '--switches', String(n), '--window', String(WINDOW), '--seconds', String(SECONDS), '--hosts', HOSTS, ...(peer.echo ? ['--echo'] : ['--core'])];
      const counted = await generate(args, () => {
        cpuAtStart = cpuMs(child.pid!);
        started();
      });
      const cpu = cpuMs(child.pid!) - cpuAtStart;
      const load = await migrations;
      runs.push({ ...counted, cpuUsPerReply: (cpu * 1000) / (counted.repliesPerSecond * SECONDS), cpuShare: cpu / (SECONDS * 1000), ...(load ? { migrations: load } : {}) });
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return runs;
}

function medianRun(peer: string, runs: Run[]): Result {
  const sorted = [...runs].sort((a, b) => a.repliesPerSecond - b.repliesPerSecond);
  const mid = sorted[(sorted.length - 1) >> 1]!;
  return { peer, ...mid, repliesPerSecond: median(runs.map((r) => r.repliesPerSecond)), rounds: runs.map((r) => Math.round(r.repliesPerSecond)) };
}

async function main(): Promise<void> {
  if (PEERS.some((p) => p.name === 'os-ken') && !existsSync('/usr/bin/osken-manager')) throw new Error('os-ken is missing: make bench-throughput installs python3-os-ken (make setup-bench)');
  // Rounds interleave the peers, so that a noisy minute on this shared machine hits them all alike.
  const runs = new Map<string, Run[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const peer of PEERS) {
      for (const r of await measure(peer, round)) {
        const key = `${peer.name}/${r.switches}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
      }
    }
  }
  const results = PEERS.flatMap((p) => SWITCH_COUNTS.filter((n) => runs.has(`${p.name}/${n}`)).map((n) => medianRun(p.name, runs.get(`${p.name}/${n}`)!)));
  const of = (peer: string, n: number): Result | undefined => results.find((r) => r.peer === peer && r.switches === n);
  printTable(`Gateway ARP answered by PACKET_OUT (window ${WINDOW} per switch, ${SECONDS} s a run, median of ${ROUNDS} rounds; replies/s, latency ms of the median run)`,
    ['peer', 'switches', 'replies/s', 'rounds', 'p50 ms', 'p99 ms', 'invalid', 'all ready after (ms)', 'never ready', 'peer CPU (cores)', 'peer CPU µs / reply'],
    results.map((r) => [r.peer, r.switches, Math.round(r.repliesPerSecond), r.rounds.map((x) => `${Math.round(x / 1000)}k`).join(' '), r.p50Ms, r.p99Ms, r.invalid, r.readyMs, r.notReady, r.cpuShare, r.cpuUsPerReply]));
  const ratios = SWITCH_COUNTS.map((n) => {
    const s = of('svcswitch', n)?.repliesPerSecond ?? NaN;
    const cost = (peer: string): number => of(peer, n)?.cpuUsPerReply ?? NaN;
    return {
      switches: n, vsOsKen: s / (of('os-ken', n)?.repliesPerSecond ?? NaN), vsEcho: s / (of('raw TCP echo', n)?.repliesPerSecond ?? NaN), whileMigrating: (of(MIGRATING, n)?.repliesPerSecond ?? NaN) / s,
      // Replies per CPU-second, svcswitch over the echo: the ratio a core of its own would give each.
      cpuVsEcho: cost('raw TCP echo') / cost('svcswitch'),
    };
  });
  printTable('svcswitch relative to the others, medians (goals: >= 10x os-ken, >= 0.5 of the raw echo)', ['switches', 'x os-ken', 'of raw echo', 'of raw echo per CPU-second', 'kept while migrating'], ratios.map((r) => [r.switches, r.vsOsKen, r.vsEcho, r.cpuVsEcho, r.whileMigrating]));
  const migrating = results.filter((r) => r.migrations);
  printTable(`The migrations during the runs above (${MIGRATIONS_PER_SECOND}/s asked over ${SECONDS} s; prepare = POST until barrier-confirmed; of the median run)`,
    ['switches', 'asked', 'prepared / s', 'failed', 'skipped (VM busy)', 'prepare p50 ms', 'prepare p99 ms'],
    migrating.map((r) => [r.switches, r.migrations!.asked, r.migrations!.prepared / SECONDS, r.migrations!.failed, r.migrations!.skipped, r.migrations!.p50Ms, r.migrations!.p99Ms]));
  for (const r of migrating) for (const why of r.migrations!.failures) process.stdout.write(`failed at ${r.switches} switches: ${why}\n`);
  writeJson('bench/results/throughput.json', { date: new Date().toISOString(), window: WINDOW, seconds: SECONDS, rounds: ROUNDS, migrationsPerSecond: MIGRATIONS_PER_SECOND, results, ratios });
  writeBarChart('bench/results/throughput.svg', `Gateway ARP replies per second, median of ${ROUNDS} rounds (higher is better)`, 'replies/s',
    results.map((r) => ({ label: `${r.peer}, ${r.switches} sw`, value: r.repliesPerSecond, group: r.peer })));
  process.stdout.write('\nWrote bench/results/throughput.json and bench/results/throughput.svg\n\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
