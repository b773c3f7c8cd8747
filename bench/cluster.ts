import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EtcdCluster } from '../lab/etcd.js';
import { until } from '../lab/wait.js';
import { freePort } from './lib/net.js';
import { median, pct, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

/**
 * make bench-cluster: issue 24, acceptance 7, side by side in one run.
 *
 *  1. Gateway ARP PACKET_INs answered per second by 64 emulated switches (bench/lib/cbench.ts,
 *     every switch connected to every member, playing OpenFlow 1.3 roles as Open vSwitch does:
 *     PACKET_INs to its master only), for svcswitch alone (the reference, no --cluster) and for
 *     clusters of 1, 2 and 3 members on 3 etcd members.
 *  2. Migration latency through the REST API, until prepared and barrier-confirmed (POST
 *     /api/migrations, then cancelled): alone with its state in SQLite (the reference), a
 *     cluster of 1 (state in etcd), and a cluster of 3 asked at the migration leader and at a
 *     follower (forwarded to the leader; the switches involved confirmed by their masters).
 *
 * Everything runs on this machine (nproc cores for every member, every etcd member and the
 * generator): the figures say what a cluster costs on one machine, not what three machines give.
 * BENCH_SECONDS (4), BENCH_ROUNDS (3), BENCH_CLUSTER_MIGRATIONS (100).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIGRATIONS = Number(process.env.BENCH_CLUSTER_MIGRATIONS ?? 100);
const SWITCHES = 64;
const WINDOW = 32;
const TOPOLOGY = 'bench/topologies/access-64.yaml';

interface Member {
  child: ChildProcess;
  of: number;
  api: number;
}

/** A set of svcswitch processes: one alone, or `size` members of a cluster on `etcd`. */
class Controllers {
  private constructor(
    readonly members: Member[],
    private readonly stateDir: string,
  ) {}

  static async start(size: number, etcd: EtcdCluster | undefined, sqlite: boolean): Promise<Controllers> {
    const stateDir = mkdtempSync(join(tmpdir(), 'svcswitch-bench-cluster-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      const of = await freePort();
      const api = await freePort();
      const args = ['dist/src/cli.js', 'run', '--topology', TOPOLOGY, '--of-listen', `127.0.0.1:${of}`, '--api-listen', `127.0.0.1:${api}`,
        '--state-dir', sqlite ? join(stateDir, `m${i}`) : 'none', '--audit-interval', '0', '--hold-down', '300', '--log-level', 'error', '--log-format', 'json', '--lldp-interval', '60000',
        ...(etcd ? ['--cluster', etcd.url, '--member-id', `m${i}`] : [])];
      members.push({ child: spawn('node', args, { stdio: ['ignore', 'ignore', 'inherit'] }), of, api });
    }
    const c = new Controllers(members, stateDir);
    for (const m of members) await until(async () => (await call(m.api, 'GET', '/api/health').catch(() => undefined)) !== undefined, `svcswitch on ${m.api}`, 20_000, 100);
    return c;
  }

  /** The member that leads the migrations (the only one alone). */
  async leader(): Promise<number> {
    if (this.members.length === 1) return 0;
    let leader = -1;
    await until(async () => {
      const view = (await call(this.members[0]!.api, 'GET', '/api/cluster')).json as { migrationLeader?: { member: string } };
      leader = view.migrationLeader ? Number(view.migrationLeader.member.slice(1)) : -1;
      return leader >= 0;
    }, 'a migration leader', 10_000, 100);
    return leader;
  }

  async stop(): Promise<void> {
    for (const m of this.members) m.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const m of this.members) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The emulated switches, connected to every member: `onMeasuring` once they all have a master and the warm-up is over; the generator's result line. */
function generator(members: Member[], roles: boolean, args: string[], onMeasuring: () => void = () => {}): { child: ChildProcess; result: Promise<Record<string, number>> } {
  const child = spawn('node', ['dist/bench/lib/cbench.js', '--ports', members.map((m) => m.of).join(','), ...(roles ? ['--roles'] : []), '--switches', String(SWITCHES), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let result = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes('"measuring"')) onMeasuring();
    else result = line;
  });
  return { child, result: new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 || code === null ? resolve(result ? (JSON.parse(result) as Record<string, number>) : {}) : reject(new Error(`the generator exited ${code}`))))) };
}

interface Setup {
  name: string;
  members: number;
  cluster: boolean;
}
const PACKET_IN_SETUPS: Setup[] = [
  { name: 'alone (reference)', members: 1, cluster: false },
  { name: 'cluster of 1', members: 1, cluster: true },
  { name: 'cluster of 2', members: 2, cluster: true },
  { name: 'cluster of 3', members: 3, cluster: true },
];

async function packetIns(setup: Setup, round: number): Promise<Record<string, number>> {
  const etcd = setup.cluster ? await EtcdCluster.start(3) : undefined;
  const c = await Controllers.start(setup.members, etcd, false);
  try {
    progress(`round ${round}/${ROUNDS}, ${setup.name}: ${SWITCHES} switches, window ${WINDOW}, ${SECONDS} s`);
    return await generator(c.members, setup.cluster, ['--window', String(WINDOW), '--seconds', String(SECONDS), '--core']).result;
  } finally {
    await c.stop();
    await etcd?.stop();
  }
}

interface MigrationSetup extends Setup {
  sqlite: boolean;
  /** Ask a follower (forwarded to the leader) rather than the leader. */
  viaFollower: boolean;
}
const MIGRATION_SETUPS: MigrationSetup[] = [
  { name: 'alone, SQLite (reference)', members: 1, cluster: false, sqlite: true, viaFollower: false },
  { name: 'cluster of 1, etcd', members: 1, cluster: true, sqlite: false, viaFollower: false },
  { name: 'cluster of 3, at the leader', members: 3, cluster: true, sqlite: false, viaFollower: false },
  { name: 'cluster of 3, at a follower', members: 3, cluster: true, sqlite: false, viaFollower: true },
];

/** MIGRATIONS orchestrated migrations one after another (VM i from acc_i to acc_i+1:3), each prepared then cancelled: each one's latency until prepared. */
async function migrations(setup: MigrationSetup): Promise<number[]> {
  const etcd = setup.cluster ? await EtcdCluster.start(3) : undefined;
  const c = await Controllers.start(setup.members, etcd, setup.sqlite);
  let started: () => void = () => {};
  const ready = new Promise<void>((r) => (started = r));
  // The switches stay connected, idle (window 0), while the migrations run.
  const farm = generator(c.members, setup.cluster, ['--window', '0', '--seconds', '3600', '--warmup', '0', '--core'], () => started());
  try {
    await ready;
    const leader = await c.leader();
    const asked = c.members[setup.viaFollower ? (leader + 1) % c.members.length : leader]!;
    const latencies: number[] = [];
    for (let i = 0; i < MIGRATIONS; i++) {
      if (i % 20 === 0) progress(`${setup.name}: migration ${i + 1} of ${MIGRATIONS}`);
      const vm = i % SWITCHES;
      const t0 = performance.now();
      const m = await call(asked.api, 'POST', '/api/migrations', { hoa: `10.1.${vm}.50`, switch: `acc${(vm + 1) % SWITCHES}`, port: 3 });
      if (m.status !== 201) throw new Error(`${setup.name}: migrate answered ${m.status}: ${JSON.stringify(m.json)}`);
      latencies.push(performance.now() - t0);
      const cancelled = await call(asked.api, 'DELETE', `/api/migrations/${String(m.json.id)}`);
      if (cancelled.status !== 200) throw new Error(`${setup.name}: cancel answered ${cancelled.status}: ${JSON.stringify(cancelled.json)}`);
    }
    return latencies;
  } finally {
    farm.child.kill('SIGTERM');
    await c.stop();
    await etcd?.stop();
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  // Rounds interleave the set-ups, so that a noisy minute on this shared machine hits them all alike.
  const rates = new Map<string, Array<Record<string, number>>>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of PACKET_IN_SETUPS) rates.set(s.name, [...(rates.get(s.name) ?? []), await packetIns(s, round)]);
  }
  const reference = median(rates.get(PACKET_IN_SETUPS[0]!.name)!.map((r) => r.repliesPerSecond ?? 0));
  const packetInRows = PACKET_IN_SETUPS.map((s) => {
    const runs = rates.get(s.name)!;
    const perSecond = median(runs.map((r) => r.repliesPerSecond ?? 0));
    const mid = [...runs].sort((a, b) => (a.repliesPerSecond ?? 0) - (b.repliesPerSecond ?? 0))[(runs.length - 1) >> 1]!;
    return { setup: s.name, members: s.members, repliesPerSecond: Math.round(perSecond), ofReference: round1((perSecond / reference) * 100) / 100, rounds: runs.map((r) => Math.round(r.repliesPerSecond ?? 0)), p50Ms: round1(mid.p50Ms ?? NaN), p99Ms: round1(mid.p99Ms ?? NaN), invalid: mid.invalid ?? 0, notReady: mid.notReady ?? 0 };
  });
  printTable(`1. Gateway ARP PACKET_INs answered per second, ${SWITCHES} switches connected to every member (window ${WINDOW}, ${SECONDS} s, median of ${ROUNDS} rounds)`,
    ['set-up', 'members', 'replies/s', 'of alone', 'rounds', 'p50 ms', 'p99 ms', 'invalid', 'never ready'],
    packetInRows.map((r) => [r.setup, r.members, r.repliesPerSecond, r.ofReference, r.rounds.map((x) => `${Math.round(x / 1000)}k`).join(' '), r.p50Ms, r.p99Ms, r.invalid, r.notReady]));

  const migrationRows = [];
  for (const s of MIGRATION_SETUPS) {
    const lat = await migrations(s);
    migrationRows.push({ setup: s.name, migrations: lat.length, p50Ms: round1(pct(lat, 50)), p99Ms: round1(pct(lat, 99)), maxMs: round1(Math.max(...lat)) });
  }
  const ref = migrationRows[0]!.p50Ms;
  printTable(`2. One migration through the REST API until prepared and barrier-confirmed (${MIGRATIONS} one after another, each then cancelled)`,
    ['set-up', 'migrations', 'p50 ms', 'p99 ms', 'max ms', 'p50 of SQLite alone'],
    migrationRows.map((r) => [r.setup, r.migrations, r.p50Ms, r.p99Ms, r.maxMs, round1((r.p50Ms / ref) * 10) / 10]));
  writeJson('bench/results/cluster.json', { date: new Date().toISOString(), switches: SWITCHES, window: WINDOW, seconds: SECONDS, rounds: ROUNDS, packetIns: packetInRows, migrations: migrationRows });
  writeBarChart('bench/results/cluster-packet-ins.svg', `Gateway ARP PACKET_INs answered per second, ${SWITCHES} switches, median of ${ROUNDS} rounds (higher is better)`, 'replies/s',
    packetInRows.map((r) => ({ label: r.setup, value: r.repliesPerSecond, group: r.setup.startsWith('alone') ? 'alone' : 'cluster' })));
  writeBarChart('bench/results/cluster-migrations.svg', `Migration until prepared and confirmed, p50 of ${MIGRATIONS} (lower is better)`, 'ms',
    migrationRows.map((r) => ({ label: r.setup, value: r.p50Ms, group: r.setup.startsWith('alone') ? 'alone' : 'cluster' })));
  process.stdout.write('\nWrote bench/results/cluster.json, cluster-packet-ins.svg and cluster-migrations.svg\n\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
