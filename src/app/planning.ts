import type { Observable, Subscription } from 'rxjs';
import type { PlanStore } from '../controller/flow-manager.js';
import type { SwitchTables } from '../controller/flow-tables.js';
import { fabricContext, planHost, planRoutes, type FabricContext } from '../fabric/fabric-planner.js';
import { planPortSecurity } from '../fabric/port-security.js';
import { planDiscovery } from '../topology/discovery-planner.js';
import type { HostInfo, TopologyEvent } from '../topology/events.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import { linkPortsOf, type Topology } from '../topology/model.js';
import type { Logger } from '../log/logger.js';

/** What planning reads of the topology (the TopologyService, or a benchmark's stand-in). */
export interface PlanningSource {
  readonly declared: Topology | undefined;
  readonly graph$: Observable<FabricGraph>;
  /** The graph now: graph$ may emit a few milliseconds after a change (it gathers them), this never lags. */
  graph(): FabricGraph;
  /** Replays the current hosts as host-added first. */
  readonly events$: Observable<TopologyEvent>;
}

/** The parts of a switch's plan, by name (each planner's cookie and band are in src/controller/pipeline.ts). */
const PART = {
  discovery: 'discovery',
  portSecurity: 'fabric/port-security',
  routes: 'fabric/routes',
  host: (mac: string): string => `fabric/host/${mac}`,
} as const;


/**
 * The one place that turns topology changes into plan parts, incrementally: a host that
 * appears, moves or goes re-plans that host's part on its switch (and removes it from the
 * one it left); a link change re-plans every switch's routes (coalesced over `coalesceMs`);
 * nothing re-plans everything. The planners themselves are pure functions.
 */
export class Planning {
  private readonly subscriptions: Subscription[] = [];
  private readonly ctx: FabricContext | undefined;
  /** Where each host's part is now: MAC to datapath id. */
  private readonly hostAt = new Map<string, string>();
  private readonly dpidOf: Map<string, string>;
  /** The graph whose routes are planned, and the timer that will plan a newer one. */
  private planned: FabricGraph | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** How long the last re-plan of every switch's routes took. */
  private lastFlushMs = 0;
  /** Switches whose planned entries pass their table budget, as the last re-plan of the routes found them (warned once each time one goes past). */
  private readonly overBudget = new Set<string>();

  constructor(
    private readonly topology: PlanningSource,
    private readonly plans: PlanStore,
    private readonly coalesceMs = 20,
    private readonly log?: Logger,
  ) {
    const declared = topology.declared;
    this.ctx = declared && fabricContext(declared);
    this.dpidOf = new Map((declared?.switches ?? []).map((s) => [s.name, s.dpid]));
  }

  start(): void {
    const declared = this.topology.declared;
    const ctx = this.ctx;
    if (!declared || !ctx) return;
    for (const sw of declared.switches) {
      this.plans.set(sw.dpid, PART.discovery, planDiscovery(linkPortsOf(declared, sw.name)));
      this.plans.set(sw.dpid, PART.portSecurity, planPortSecurity(declared, sw.name));
    }
    this.subscriptions.push(
      this.topology.graph$.subscribe(() => {
        // Never more often than a re-plan takes: on 2,000 switches one takes seconds, and switches keep coming.
        this.timer ??= setTimeout(() => this.flush(), Math.max(this.coalesceMs, this.lastFlushMs));
      }),
      // events$ first replays host-added for every host known now.
      this.topology.events$.subscribe((e) => {
        if (e.kind === 'host-added' || e.kind === 'host-moved' || e.kind === 'host-updated') this.place(e.host.mac, e.host);
        else if (e.kind === 'host-removed') this.place(e.host.mac, undefined);
      }),
    );
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    clearTimeout(this.timer);
  }

  /**
   * Plans the routes of the topology's graph now, unless they are planned already: what a
   * link change's coalescing timer does, and what hold-down asks for when it releases the
   * switches (the graph then may be newer than graph$ has said: the last switch's links).
   */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const declared = this.topology.declared;
    if (!declared || !this.ctx) return;
    const graph = this.topology.graph();
    if (graph === this.planned) return;
    this.planned = graph;
    const began = performance.now();
    for (const sw of declared.switches) {
      this.plans.set(sw.dpid, PART.routes, planRoutes(this.ctx, graph, sw.name));
      if (sw.tableBudget !== undefined) this.holdToBudget(sw.name, sw.dpid, sw.tableBudget);
    }
    this.lastFlushMs = performance.now() - began;
  }

  /**
   * The fabric's routes are planned whatever a switch's table budget says (without them it
   * forwards nothing; a migration is what gives way, src/migration/table-budget.ts): a switch
   * they take past it is a warning, once each time it goes past, for the operator to give it
   * a larger budget or the datacenter a shape that summarizes (docs/routing-at-scale.md).
   */
  private holdToBudget(name: string, dpid: string, budget: number): void {
    const entries = this.plans.plan(dpid).entries;
    if (entries <= budget) {
      this.overBudget.delete(name);
      return;
    }
    if (this.overBudget.has(name)) return;
    this.overBudget.add(name);
    this.log?.warn('the fabric alone passes a switch\'s table budget', { switch: name, entries, tableBudget: budget });
  }

  private place(mac: string, host: HostInfo | undefined): void {
    const before = this.hostAt.get(mac);
    const dpid = host && this.dpidOf.get(host.switch);
    if (before !== undefined && before !== dpid) this.plans.set(before, PART.host(mac), undefined);
    if (host && dpid && this.ctx) {
      this.plans.set(dpid, PART.host(mac), planHost(this.ctx, host));
      this.hostAt.set(mac, dpid);
    } else {
      this.hostAt.delete(mac);
    }
  }
}

/**
 * What a switch gets before (or without) a planner: with a topology file, nothing for a
 * declared switch (Planning fills it) and LLDP from no port for one the file does not
 * declare (when such switches are let in); with no file, LLDP from every port and learning
 * by table-miss.
 */
export function defaultParts(topology: Topology | undefined): (dpid: string) => ReadonlyMap<string, SwitchTables> {
  const declared = new Set(topology?.switches.map((s) => s.dpid));
  return (dpid) => {
    if (topology === undefined) return new Map([[PART.discovery, planDiscovery(undefined)]]);
    return declared.has(dpid) ? new Map() : new Map([[PART.discovery, planDiscovery([])]]);
  };
}
