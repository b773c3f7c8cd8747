/**
 * make bench-planning: what one host change costs the controller (planning and the
 * reconciler's diff), at 1,000, 15,000 and 100,000 hosts, side by side with the way it was
 * done before (every switch re-planned and every table diffed on each change). No switch and
 * no root needed: this measures the controller's own work, which is what grew with the
 * table (the packets sent for one change are the same few flow-mods either way).
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { Planning } from '../src/app/planning.js';
import { PlanStore } from '../src/controller/flow-manager.js';
import { applyToIndex, diffParts, diffTables, indexTables, type TablesIndex } from '../src/controller/flow-tables.js';
import { toWire, type WireTables } from '../src/controller/wire-tables.js';
import { planFabric } from '../src/fabric/fabric-planner.js';
import type { HostInfo, TopologyEvent } from '../src/topology/events.js';
import { fabricGraph, type FabricGraph } from '../src/topology/fabric-graph.js';
import { intToIp, ipToInt } from '../src/topology/cidr.js';
import { threeTier } from '../src/topology/generator.js';
import { parseTopology } from '../src/topology/loader.js';
import type { Topology } from '../src/topology/model.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const SIZES = [1_000, 15_000, 100_000];
const CHANGES = 200;
const FULL_CHANGES = (n: number): number => (n >= 100_000 ? 3 : n >= 15_000 ? 10 : 50);

/** A three-tier datacenter of 32 access switches, each subnet a /16 so that 100,000 hosts fit. */
function datacenter(): Topology {
  const t = parseTopology(threeTier({ cores: 2, aggregations: 4, accessPerAggregation: 8, hostsPerAccess: 1 }), 'three-tier');
  const subnets = t.subnets.map((s, i) => ({ ...s, prefix: `10.${i + 1}.0.0/16`, gateway: `10.${i + 1}.0.1` }));
  return { ...t, subnets, hosts: [] };
}

function hostsFor(t: Topology, n: number): HostInfo[] {
  return Array.from({ length: n }, (_, i) => {
    const s = t.subnets[i % t.subnets.length]!;
    const k = Math.floor(i / t.subnets.length);
    const mac = `02:${[i >>> 24, i >>> 16, i >>> 8, i, 1].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
    return { name: undefined, mac, ip: intToIp(ipToInt(s.gateway)! + 1 + k), switch: s.switch, port: 100 + (k % 60_000), declared: false, seen: true };
  });
}

/** The new way: the Planning service on a plan store, and the reconciler's incremental diff per change. */
function incremental(t: Topology, graph: FabricGraph, hosts: HostInfo[]): number[] {
  const events = new Subject<TopologyEvent>();
  const plans = new PlanStore();
  const planning = new Planning({ declared: t, graph$: new BehaviorSubject(graph), graph: () => graph, events$: events }, plans, 0);
  planning.start();
  for (const h of hosts) events.next({ kind: 'host-added', host: h });
  // What each switch's reconciler would hold after its first run.
  const index = new Map<string, { idx: TablesIndex; applied: Map<string, WireTables>; cursor: number }>();
  for (const s of t.switches) {
    const p = plans.plan(s.dpid);
    index.set(s.dpid, { idx: indexTables(p.all()), applied: new Map([...p.partNames()].map((n) => [n, p.get(n)!])), cursor: p.cursor });
  }
  const times: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const h = hosts[(c * 7919) % hosts.length]!;
    const start = process.hrtime.bigint();
    events.next({ kind: 'host-moved', host: { ...h, port: h.port + 1 }, from: { switch: h.switch, port: h.port } });
    // The reconciler's run on the one switch whose plan changed.
    const dpid = t.switches.find((s) => s.name === h.switch)!.dpid;
    const r = index.get(dpid)!;
    const plan = plans.plan(dpid);
    const changed = [...(plan.changedSince(r.cursor) ?? [])];
    const diff = diffParts(changed.map((p) => ({ before: r.applied.get(p), after: plan.get(p) })), r.idx);
    applyToIndex(r.idx, diff);
    for (const p of changed) r.applied.set(p, plan.get(p)!);
    r.cursor = plan.cursor;
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
    if (diff.flowsToWrite.length === 0) throw new Error('a move must rewrite the host\'s entries');
  }
  planning.stop();
  return times;
}

/** The old way, as the reference: the whole fabric planned again and every switch's table diffed. */
function full(t: Topology, graph: FabricGraph, hosts: HostInfo[], changes: number): number[] {
  let current = planFabric({ topology: t, hosts, graph });
  const times: number[] = [];
  for (let c = 0; c < changes; c++) {
    const i = (c * 7919) % hosts.length;
    const moved = hosts.map((h, j) => (j === i ? { ...h, port: h.port + 1 } : h));
    const start = process.hrtime.bigint();
    const next = planFabric({ topology: t, hosts: moved, graph });
    for (const [sw, tables] of next) diffTables(toWire(tables), toWire(current.get(sw)!));
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
    current = next;
  }
  return times;
}

const t = datacenter();
const graph = fabricGraph(t, new Set());
const rows: Array<Array<string | number>> = [];
const results: Array<{ hosts: number; incrementalMedianUs: number; incrementalP99Us: number; fullMedianUs: number; ratio: number }> = [];
for (const n of SIZES) {
  progress(`${n.toLocaleString('en-US')} hosts: incremental (${CHANGES} moves)`);
  const hosts = hostsFor(t, n);
  const inc = incremental(t, graph, hosts);
  progress(`${n.toLocaleString('en-US')} hosts: full re-plan (${FULL_CHANGES(n)} moves)`);
  const ref = full(t, graph, hosts, FULL_CHANGES(n));
  const sorted = [...inc].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
  const r = { hosts: n, incrementalMedianUs: median(inc), incrementalP99Us: p99, fullMedianUs: median(ref), ratio: median(ref) / median(inc) };
  results.push(r);
  rows.push([n, r.incrementalMedianUs, r.incrementalP99Us, r.fullMedianUs / 1000, Math.round(r.ratio)]);
}
printTable('Cost of one host change (32 access switches; µs = microseconds)', ['hosts', 'incremental median µs', 'incremental p99 µs', 'full re-plan median ms', 'full / incremental'], rows);
writeJson('bench/results/planning.json', { date: new Date().toISOString(), topology: t.name, switches: t.switches.length, results });
writeBarChart(
  'bench/results/planning.svg',
  'One host change: incremental vs full re-plan (median, µs, log scale not used)',
  'µs',
  results.flatMap((r) => [
    { label: `${r.hosts} hosts incremental`, value: r.incrementalMedianUs, group: 'svcswitch (incremental)' },
    { label: `${r.hosts} hosts full re-plan`, value: r.fullMedianUs, group: 'before (full re-plan)' },
  ]),
);
progress('wrote bench/results/planning.json and planning.svg');
