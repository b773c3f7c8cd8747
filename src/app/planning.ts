import type { Observable, Subscription } from 'rxjs';
import type { PlanStore } from '../controller/flow-manager.js';
import type { SwitchTables } from '../controller/flow-tables.js';
import { fabricContext, planHost, planRoutes, type FabricContext } from '../fabric/fabric-planner.js';
import { planPortSecurity } from '../fabric/port-security.js';
import { planDiscovery } from '../topology/discovery-planner.js';
import type { HostInfo, TopologyEvent } from '../topology/events.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import { linkPortsOf, type Topology } from '../topology/model.js';

/** What planning reads of the topology (the TopologyService, or a benchmark's stand-in). */
export interface PlanningSource {
  readonly declared: Topology | undefined;
  readonly graph$: Observable<FabricGraph>;
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
  /** A graph whose routes are not planned yet, and the timer that will plan them. */
  private latest: FabricGraph | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** How long the last re-plan of every switch's routes took. */
  private lastFlushMs = 0;

  constructor(
    private readonly topology: PlanningSource,
    private readonly plans: PlanStore,
    private readonly coalesceMs = 20,
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
      this.topology.graph$.subscribe((graph) => {
        this.latest = graph;
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

  /** Plans the routes of the latest graph now, if a link change is still waiting for its coalescing timer. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const graph = this.latest;
    const declared = this.topology.declared;
    this.latest = undefined;
    if (!graph || !declared || !this.ctx) return;
    const began = performance.now();
    for (const sw of declared.switches) this.plans.set(sw.dpid, PART.routes, planRoutes(this.ctx, graph, sw.name));
    this.lastFlushMs = performance.now() - began;
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
