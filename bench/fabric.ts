import { performance } from 'node:perf_hooks';
import { createLogger } from '../src/log/logger.js';
import { MultipartType, PortNo, TableId } from '../src/openflow/index.js';
import { loadTopology } from '../src/topology/loader.js';
import { MininetDc } from '../lab/mininet.js';
import { requireOvs, sh } from '../lab/ovs.js';
import { startSvcswitch } from '../lab/svcswitch.js';
import { until } from '../lab/wait.js';
import { freePort } from './lib/net.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

/**
 * make bench-fabric: from controller start to all-pairs reachability, with Mininet already
 * running (switches waiting for their controller), on dc-small and the k=4 fat-tree.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FILES = ['topologies/dc-small.yaml', 'topologies/fat-tree-k4.yaml'];

interface Round {
  connectedMs: number;
  linksUpMs: number;
  flowsConfirmedMs: number;
  reachableMs: number;
  pingallMs: number;
}

async function round(file: string, dc: MininetDc, port: number): Promise<{ r: Round; flows: number[]; groups: number[]; rssMiB: number; heapMiB: number }> {
  const topology = loadTopology(file);
  const t0 = performance.now();
  const { app } = await startSvcswitch(topology, createLogger('error', 'pretty'), { ofPort: port });
  try {
    await until(() => app.topology.switchList().every((s) => s.connected), 'switches connected', 60_000, 5);
    const connectedMs = performance.now() - t0;
    await until(() => app.topology.linkList().every((l) => l.up), 'links up', 30_000, 5);
    const linksUpMs = performance.now() - t0;
    // The planners coalesce changes for 20 ms; then every switch must hold its tables.
    await new Promise((r) => setTimeout(r, 25));
    await until(() => app.flows.inSync, 'flows confirmed', 30_000, 2);
    const flowsConfirmedMs = performance.now() - t0 - 25;
    let pingallMs = 0;
    await until(async () => {
      const p = performance.now();
      const res = (await dc.do({ op: 'pingall', timeout: 0.5 })) as { failed: unknown[] };
      pingallMs = performance.now() - p;
      return res.failed.length === 0;
    }, 'all pairs reachable', 120_000, 10);
    const reachableMs = performance.now() - t0;
    const flows: number[] = [];
    const groups: number[] = [];
    for (const conn of app.openflow.connected.values()) {
      const [agg] = await conn.multipart({ mpType: MultipartType.AGGREGATE, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: {} });
      flows.push(agg?.mpType === MultipartType.AGGREGATE ? agg.flowCount : 0);
      const parts = await conn.multipart({ mpType: MultipartType.GROUP_DESC });
      groups.push(parts.reduce((n, p) => n + (p.mpType === MultipartType.GROUP_DESC ? p.groups.length : 0), 0));
    }
    const mem = process.memoryUsage();
    return { r: { connectedMs, linksUpMs, flowsConfirmedMs, reachableMs, pingallMs }, flows, groups, rssMiB: mem.rss / 2 ** 20, heapMiB: mem.heapUsed / 2 ** 20 };
  } finally {
    await app.stop();
  }
}

async function main(): Promise<void> {
  await requireOvs();
  const results = [];
  for (const file of FILES) {
    const port = await freePort();
    progress(`${file}: starting Mininet; its switches wait for a controller on 127.0.0.1:${port}`);
    const dc = await MininetDc.start(file, port);
    try {
      // Reconnect quickly once the controller appears (OVS backs off up to 8 s by default).
      for (const uuid of (await sh('ovs-vsctl', ['--columns=_uuid', '--bare', 'list', 'controller'])).split(/\s+/).filter(Boolean)) {
        await sh('ovs-vsctl', ['set', 'controller', uuid, 'max_backoff=1000']);
      }
      await new Promise((r) => setTimeout(r, 2000));
      const rounds: Round[] = [];
      let last: Awaited<ReturnType<typeof round>> | undefined;
      for (let i = 0; i < ROUNDS; i++) {
        progress(`${file}: round ${i + 1}/${ROUNDS}: controller start -> all pairs reachable`);
        last = await round(file, dc, port);
        rounds.push(last.r);
        await new Promise((r) => setTimeout(r, 2000)); // switches notice the controller left
      }
      const med = (k: keyof Round): number => median(rounds.map((x) => x[k]));
      results.push({
        topology: file, switches: last!.flows.length, rounds,
        median: { connectedMs: med('connectedMs'), linksUpMs: med('linksUpMs'), flowsConfirmedMs: med('flowsConfirmedMs'), reachableMs: med('reachableMs'), pingallMs: med('pingallMs') },
        flowsPerSwitch: { min: Math.min(...last!.flows), median: median(last!.flows), max: Math.max(...last!.flows), total: last!.flows.reduce((a, b) => a + b, 0) },
        groupsPerSwitch: { median: median(last!.groups), total: last!.groups.reduce((a, b) => a + b, 0) },
        controllerMemory: { rssMiB: last!.rssMiB, heapUsedMiB: last!.heapMiB },
      });
    } finally {
      await dc.stop();
    }
  }
  printTable(`Controller start to reachability (median of ${ROUNDS} rounds, ms from start)`, ['topology', 'switches connected', 'links up', 'flows confirmed', 'all pairs reachable', '(one pingall takes)'],
    results.map((r) => [r.topology.replace('topologies/', ''), r.median.connectedMs, r.median.linksUpMs, r.median.flowsConfirmedMs, r.median.reachableMs, r.median.pingallMs]));
  printTable('Tables and memory', ['topology', 'switches', 'flows/switch min', 'median', 'max', 'flows total', 'groups total', 'controller RSS MiB', 'heap MiB'],
    results.map((r) => [r.topology.replace('topologies/', ''), r.switches, r.flowsPerSwitch.min, r.flowsPerSwitch.median, r.flowsPerSwitch.max, r.flowsPerSwitch.total, r.groupsPerSwitch.total, r.controllerMemory.rssMiB, r.controllerMemory.heapUsedMiB]));
  writeJson('bench/results/fabric.json', { date: new Date().toISOString(), rounds: ROUNDS, results });
  writeBarChart('bench/results/fabric.svg', 'Controller start to confirmed flows and to all-pairs reachability (median ms)', 'ms', results.flatMap((r) => [
    { label: `${r.topology.replace('topologies/', '')}: flows confirmed`, value: r.median.flowsConfirmedMs, group: 'control plane' },
    { label: `${r.topology.replace('topologies/', '')}: all pairs ping`, value: r.median.reachableMs, group: 'data plane (incl. one pingall)' },
  ]));
  process.stdout.write('\nWrote bench/results/fabric.json and bench/results/fabric.svg\n\n');
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
