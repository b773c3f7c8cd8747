import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { FlowManager } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PROCESSOR_PRIORITY, plannerOfGroup, plannerOfOwner } from '../controller/pipeline.js';
import type { WireTables } from '../controller/wire-tables.js';
import type { MigrationService } from '../migration/migration-service.js';
import { ETH_TYPE } from '../packet/index.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { FrontCounts } from './front-messages.js';

/**
 * Every Prometheus metric of svcswitch, in one registry made here (Faucet's
 * `faucet_metrics.py` is the model). Most are read from the services when Prometheus
 * scrapes (their own counters, so nothing on the packet path calls prom-client); the rest
 * count events of the rxjs streams. Names follow Prometheus' conventions: `svcswitch_`,
 * base units, `_total` for counters. Labels name switches by their topology name and are
 * bounded by what the topology file declares (an undeclared dpid is refused before it gets
 * a plan), planners by the pipeline, rules and kinds by fixed lists.
 */

/** The packet-in kinds counted, by EtherType. */
const KIND_BY_ETHERTYPE = new Map<number, string>([
  [ETH_TYPE.ARP, 'arp'],
  [ETH_TYPE.RARP, 'rarp'],
  [ETH_TYPE.LLDP, 'lldp'],
  [ETH_TYPE.IPV4, 'ipv4'],
  [0x86dd, 'ipv6'],
]);
const KINDS = [...KIND_BY_ETHERTYPE.values(), 'other'];

/** A part's entries by planner, counted once per part (parts are values: a change makes a new one). */
const counted = new WeakMap<WireTables, Map<string, number>>();
function entriesByPlanner(t: WireTables): Map<string, number> {
  let by = counted.get(t);
  if (by !== undefined) return by;
  by = new Map();
  // A flow's body starts with its cookie (8 bytes, one character each): bytes 2 and 3 are the planner's number.
  for (const body of t.flowBodies) {
    const planner = plannerOfOwner((body.charCodeAt(2) << 8) | body.charCodeAt(3)) ?? 'unknown';
    by.set(planner, (by.get(planner) ?? 0) + 1);
  }
  for (const id of t.groupIds) {
    const planner = `${plannerOfGroup(id) ?? 'unknown'} groups`;
    by.set(planner, (by.get(planner) ?? 0) + 1);
  }
  counted.set(t, by);
  return by;
}

/** Sets a counter to a total its owner keeps (prom-client counters only go up; these totals do too). */
function total(counter: Counter, value: number, labels: Record<string, string> = {}): void {
  counter.reset();
  counter.inc(labels, value);
}

export interface MetricsSources {
  openflow: OpenFlowServer;
  topology: TopologyService;
  flows: FlowManager;
  migration: MigrationService;
  /** Router advertisements sent, by kind, and solicitations left unanswered by the per-port limit (src/fabric/router-adverts.ts). */
  routerAdverts?: { readonly sent: Readonly<Record<'solicited' | 'unsolicited' | 'limited', number>> };
  /** The HTTP front's counts, once it listens. */
  front: () => FrontCounts | undefined;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly packetIns = new Map<string, number>(KINDS.map((k) => [k, 0]));
  private readonly subscriptions: Subscription[] = [];
  private removeProcessor: (() => void) | undefined;
  /** Migrations already counted as finished (a record may be emitted again); bounded, oldest first. */
  private readonly finished = new Set<string>();

  private readonly reconcileSeconds: Histogram;
  private readonly migrations: Counter;
  private readonly migrationSeconds: Histogram;
  private readonly announcementsRefused: Counter;

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    const s = sources;
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 10 });
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void): Gauge =>
      new Gauge({ name, help, labelNames, registers: [r], collect() { this.reset(); collect(this); } });
    const counter = (name: string, help: string, labelNames: string[], collect?: (c: Counter) => void): Counter =>
      new Counter({ name, help, labelNames, registers: [r], ...(collect ? { collect() { collect(this); } } : {}) });

    gauge('svcswitch_switches_connected', 'Switches connected now (handshake done).', [], (g) => g.set(s.openflow.connected.size));
    gauge('svcswitch_switches_declared', 'Switches the topology file declares.', [], (g) => g.set(s.topology.declared?.switches.length ?? 0));
    gauge('svcswitch_switch_up', 'Whether each declared switch is connected (1) or not (0).', ['switch'], (g) => {
      for (const sw of s.topology.switchList()) if (sw.tier !== undefined) g.set({ switch: sw.name }, sw.connected ? 1 : 0);
    });
    gauge('svcswitch_switch_tables_in_sync', 'Whether each connected switch holds its latest plan, confirmed by barrier.', ['switch'], (g) => {
      const behind = new Set(s.flows.outOfSync());
      for (const dpid of s.openflow.connected.keys()) g.set({ switch: s.topology.nameOf(dpid) }, behind.has(dpid) ? 0 : 1);
    });
    gauge('svcswitch_links_up', 'Links up now (declared, both ports live, not miswired).', [], (g) => g.set(s.topology.linkList().filter((l) => l.up).length));
    gauge('svcswitch_flow_entries', 'Entries (and groups) planned for each switch, by the planner that owns them.', ['switch', 'planner'], (g) => {
      for (const dpid of s.flows.plans.dpids()) {
        const plan = s.flows.plans.plan(dpid);
        const sum = new Map<string, number>();
        for (const part of plan.partNames()) for (const [planner, n] of entriesByPlanner(plan.get(part)!)) sum.set(planner, (sum.get(planner) ?? 0) + n);
        const name = s.topology.nameOf(dpid);
        for (const [planner, n] of sum) g.set({ switch: name, planner }, n);
      }
    });
    gauge('svcswitch_table_budget', 'Each switch\'s table budget from the topology file (switches without one are not listed): svcswitch_flow_entries summed over planners stays at or below it.', ['switch'], (g) => {
      for (const sw of s.topology.declared?.switches ?? []) if (sw.tableBudget !== undefined) g.set({ switch: sw.name }, sw.tableBudget);
    });
    gauge('svcswitch_bindings_fit', 'How many more bindings of each mode the fullest budgeted switch fits (bindings whose Home and Foreign are other switches; not set for a mode no budget limits).', ['mode'], (g) => {
      const least = new Map<string, number>();
      for (const c of s.migration.capacity()) for (const [mode, n] of Object.entries(c.fits)) if (n !== null) least.set(mode, Math.min(n, least.get(mode) ?? n));
      for (const [mode, n] of least) g.set({ mode }, n);
    });
    counter('svcswitch_flow_mods_sent_total', 'FLOW_MOD and GROUP_MOD messages sent since start.', [], (c) => total(c, s.flows.sentMessages));
    counter('svcswitch_drift_repaired_total', 'Entries and groups the audit found changed behind the controller\'s back, and repaired.', [], (c) => total(c, s.flows.driftRepaired));
    this.reconcileSeconds = new Histogram({
      name: 'svcswitch_reconcile_seconds', help: 'One reconcile of one switch: the difference sent and confirmed by barrier (audits read the switch back first).',
      labelNames: ['kind', 'outcome'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [r],
    });
    counter('svcswitch_packet_ins_total', 'Packet-ins received, by kind (EtherType).', ['kind'], (c) => {
      c.reset();
      for (const [kind, n] of this.packetIns) c.inc({ kind }, n);
    });
    gauge('svcswitch_hosts', 'Hosts known (declared and learned).', [], (g) => g.set(s.topology.hostCount));
    counter('svcswitch_host_refusals_total', 'Host sightings refused, by the rule that refused them (port security, reserved MACs, churn...).', ['rule'], (c) => {
      c.reset();
      for (const [rule, n] of Object.entries(s.topology.hostRefusals())) c.inc({ rule }, n);
    });
    gauge('svcswitch_bindings', 'Migrated VMs bound to a Care-of Address, by mode.', ['mode'], (g) => {
      for (const b of s.migration.bindings.all()) g.inc({ mode: b.mode });
    });
    gauge('svcswitch_coa_pool_addresses', 'Each subnet\'s Care-of Address pool: its size.', ['subnet'], (g) => {
      for (const p of s.migration.coaUse()) g.set({ subnet: p.subnet }, p.size);
    });
    gauge('svcswitch_coa_pool_held', 'Each subnet\'s Care-of Addresses held by a VM now.', ['subnet'], (g) => {
      for (const p of s.migration.coaUse()) g.set({ subnet: p.subnet }, p.held);
    });
    gauge('svcswitch_bicast_groups_in_use', 'Migrations in flight holding bicast group ids (12,288 at most: past them a migration is refused).', [], (g) => g.set(s.migration.bicastGroupsInUse));
    this.migrations = counter('svcswitch_migrations_total', 'Migrations finished, by mode, trigger and outcome (completed, rolled-back, cancelled, failed).', ['mode', 'trigger', 'outcome']);
    this.migrationSeconds = new Histogram({
      name: 'svcswitch_migration_seconds', help: 'From a migration\'s first step to its last, by mode, trigger and outcome.',
      labelNames: ['mode', 'trigger', 'outcome'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800], registers: [r],
    });
    this.announcementsRefused = counter('svcswitch_announcements_refused_total', 'Announcements (RARP, gratuitous ARP) of a VM elsewhere that the migration refused.', []);
    counter('svcswitch_api_connections_total', 'REST API connections, by what admission did with them.', ['admission'], (c) => {
      const f = s.front();
      c.reset();
      if (!f) return;
      c.inc({ admission: 'served' }, f.served);
      c.inc({ admission: 'held' }, f.heldUnread);
      c.inc({ admission: 'closed' }, f.closedAtOnce);
    });
    counter('svcswitch_router_adverts_total', 'IPv6 router advertisements sent (solicited, unsolicited), and solicitations not answered because their port was answered less than a second before (limited).', ['kind'], (c) => {
      c.reset();
      const sent = s.routerAdverts?.sent;
      if (!sent) return;
      for (const kind of ['solicited', 'unsolicited', 'limited'] as const) c.inc({ kind }, sent[kind]);
    });
    counter('svcswitch_api_requests_delayed_total', 'REST API requests answered late: past their client\'s failure budget (failed) or its pace (paced).', ['why'], (c) => {
      const f = s.front();
      c.reset();
      if (!f) return;
      c.inc({ why: 'failed' }, f.slowedFailures);
      c.inc({ why: 'paced' }, f.paced);
    });
  }

  start(): void {
    const s = this.sources;
    this.removeProcessor = s.openflow.packetProcessors.add('metrics', PROCESSOR_PRIORITY.metrics, (_dpid, m) => {
      const kind = m.data.length >= 14 ? (KIND_BY_ETHERTYPE.get(m.data.readUInt16BE(12)) ?? 'other') : 'other';
      this.packetIns.set(kind, this.packetIns.get(kind)! + 1);
    });
    this.subscriptions.push(
      s.flows.runs$.subscribe((run) => this.reconcileSeconds.observe({ kind: run.audit ? 'audit' : 'change', outcome: run.ok ? 'confirmed' : 'failed' }, run.ms / 1000)),
      s.migration.events$.subscribe((e) => {
        if (e.kind === 'announcement-refused') return this.announcementsRefused.inc();
        const m = e.migration;
        if (m.status === 'preparing' || m.status === 'prepared' || this.finished.has(m.id)) return undefined;
        this.finished.add(m.id);
        if (this.finished.size > 4096) this.finished.delete(this.finished.values().next().value!);
        const labels = { mode: m.mode, trigger: m.trigger, outcome: m.status };
        this.migrations.inc(labels);
        const first = m.timeline[0]?.at;
        const last = m.timeline[m.timeline.length - 1]?.at;
        if (first !== undefined && last !== undefined) this.migrationSeconds.observe(labels, (last - first) / 1000);
        return undefined;
      }),
    );
  }

  stop(): void {
    this.removeProcessor?.();
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
  }

  /** The text Prometheus scrapes. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
