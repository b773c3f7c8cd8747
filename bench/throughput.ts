import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { freePort } from './lib/net.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

/**
 * make bench-throughput: ARP requests for a gateway in PACKET_INs, answered by PACKET_OUTs,
 * from 1, 16 and 64 emulated switches (bench/lib/cbench.ts), side by side in one run:
 * svcswitch, os-ken running the equivalent app (bench/peers/osken_arp.py), and a raw TCP
 * echo server (the ceiling of this I/O path here). Each peer runs in its own process; rounds
 * (BENCH_ROUNDS, 3) interleave the peers and the tables report medians.
 */

const SWITCH_COUNTS = (process.env.BENCH_SWITCHES ?? '1,16,64').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Peer {
  name: string;
  command: (port: number) => [string, string[]];
  echo: boolean;
}

const PEERS: Peer[] = [
  { name: 'svcswitch', echo: false, command: (p) => ['node', ['dist/src/cli.js', 'run', '--topology', 'bench/topologies/access-64.yaml', '--of-listen', `127.0.0.1:${p}`, '--log-level', 'error', '--log-format', 'json', '--lldp-interval', '60000']] },
  { name: 'os-ken', echo: false, command: (p) => ['osken-manager', ['--ofp-listen-host', '127.0.0.1', '--ofp-tcp-listen-port', String(p), 'bench/peers/osken_arp.py']] },
  { name: 'raw TCP echo', echo: true, command: (p) => ['node', ['dist/bench/peers/echo-server.js', String(p)]] },
];

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

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** One cbench run against one peer. */
interface Run {
  switches: number;
  repliesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  invalid: number;
  notReady: number;
}

/** The median run of a peer at one switch count, with every round's rate beside it. */
interface Result extends Run {
  peer: string;
  rounds: number[];
}

/** Starts the peer in its own process, runs the generator at every switch count against it, and stops it. */
async function measure(peer: Peer, round: number): Promise<Run[]> {
  const port = await freePort();
  const [cmd, args] = peer.command(port);
  progress(`round ${round}/${ROUNDS}, ${peer.name}: starting on 127.0.0.1:${port}`);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const runs: Run[] = [];
  try {
    await listening(port);
    for (const n of SWITCH_COUNTS) {
      progress(`round ${round}/${ROUNDS}, ${peer.name}: ${n} switch(es), window ${WINDOW}, ${SECONDS} s`);
      const out = await run('node', ['dist/bench/lib/cbench.js', '--port', String(port), '--switches', String(n), '--window', String(WINDOW), '--seconds', String(SECONDS), ...(peer.echo ? ['--echo'] : [])]);
      runs.push(JSON.parse(out) as Run);
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
  if (!existsSync('/usr/bin/osken-manager')) throw new Error('os-ken is missing: make bench-throughput installs python3-os-ken (make setup-bench)');
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
  const results = PEERS.flatMap((p) => SWITCH_COUNTS.map((n) => medianRun(p.name, runs.get(`${p.name}/${n}`) ?? [])));
  const of = (peer: string, n: number): Result | undefined => results.find((r) => r.peer === peer && r.switches === n);
  printTable(`Gateway ARP answered by PACKET_OUT (window ${WINDOW} per switch, ${SECONDS} s a run, median of ${ROUNDS} rounds; replies/s, latency ms of the median run)`,
    ['peer', 'switches', 'replies/s', 'rounds', 'p50 ms', 'p99 ms', 'invalid', 'switches not ready'],
    results.map((r) => [r.peer, r.switches, Math.round(r.repliesPerSecond), r.rounds.map((x) => `${Math.round(x / 1000)}k`).join(' '), r.p50Ms, r.p99Ms, r.invalid, r.notReady]));
  const ratios = SWITCH_COUNTS.map((n) => {
    const s = of('svcswitch', n)?.repliesPerSecond ?? NaN;
    return { switches: n, vsOsKen: s / (of('os-ken', n)?.repliesPerSecond ?? NaN), vsEcho: s / (of('raw TCP echo', n)?.repliesPerSecond ?? NaN) };
  });
  printTable('svcswitch relative to the others, medians (goals: >= 10x os-ken, >= 0.5 of the raw echo)', ['switches', 'x os-ken', 'of raw echo'], ratios.map((r) => [r.switches, r.vsOsKen, r.vsEcho]));
  writeJson('bench/results/throughput.json', { date: new Date().toISOString(), window: WINDOW, seconds: SECONDS, rounds: ROUNDS, results, ratios });
  writeBarChart('bench/results/throughput.svg', `Gateway ARP replies per second, median of ${ROUNDS} rounds (higher is better)`, 'replies/s',
    results.map((r) => ({ label: `${r.peer}, ${r.switches} sw`, value: r.repliesPerSecond, group: r.peer })));
  process.stdout.write('\nWrote bench/results/throughput.json and bench/results/throughput.svg\n\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
