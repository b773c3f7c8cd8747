import type { PlanStore } from '../controller/flow-manager.js';
import type { SwitchTables } from '../controller/flow-tables.js';
import type { FabricContext } from '../fabric/fabric-planner.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import type { Network } from '../topology/networks.js';
import type { Binding, MigrationRecord } from './binding-store.js';
import { planMigration, type Place, type Placement } from './migration-planner.js';

const strip = ({ switch: sw, port, coa }: Place): Place => ({ switch: sw, port, coa });

/** What one VM's placement is made of: its pending migration, its binding, its bicast group, a switchover still draining. */
export interface VmState {
  hoa: string;
  home: Network;
  pending: MigrationRecord | undefined;
  binding: Binding | undefined;
  group: number | undefined;
  draining: MigrationRecord | undefined;
}

/**
 * Where a VM is and is going, for the planner; undefined for a VM with no part (at home,
 * nothing pending or draining). Pure.
 */
export function placementOf(s: VmState): Placement | undefined {
  const { hoa, home, pending, binding, group, draining: drain } = s;
  const leaving = drain?.from.coa !== undefined ? { leaving: { ...strip(drain.from), coa: drain.from.coa } } : {};
  if (pending) {
    const { from, to } = pending;
    // A chained move keeps the binding's mode; a first move takes the request's.
    const mode = from.coa === undefined ? pending.mode : (binding?.mode ?? pending.mode);
    return { hoa, mac: pending.mac, home, mode, at: strip(from), next: strip(to), group, ...leaving };
  }
  if (binding?.state === 'active') {
    return { hoa, mac: binding.mac, home, mode: binding.mode, at: { switch: binding.switch, port: binding.port, coa: binding.coa }, group, ...leaving };
  }
  // Just back home: only the old Foreign switch's forwarding, until every redirect is gone.
  if (drain) return { hoa, mac: drain.mac, home, mode: drain.mode, at: strip(drain.to), group, ...leaving };
  return undefined;
}

/** A switch a migration's tables would take past its table budget, and how many entries it would then hold. */
export interface Overflow {
  switch: string;
  budget: number;
  entries: number;
}

/** The switches to wait for after a part changed, and the plan version that holds the change. */
export interface PartWait {
  version: number;
  dpids: string[];
}

/**
 * Each VM's part `migration/<hoa>` on the switches that hold it: set from its placement, and
 * removed from the switches that no longer need it.
 */
export class VmParts {
  /** Which switches hold each VM's part now. */
  private readonly partOn = new Map<string, Set<string>>();

  constructor(
    private readonly plans: PlanStore,
    private readonly ctx: FabricContext,
    private readonly dpidOf: ReadonlyMap<string, string>,
  ) {}

  /**
   * The first switch with a table budget (`budgetOf`) that one of `placements` of `hoa` would
   * take past it: what it holds now, its part of `hoa` replaced by the placement's. Undefined
   * when every switch fits. Plans nothing.
   */
  overBudget(hoa: string, placements: readonly Placement[], graph: FabricGraph, budgetOf: (sw: string) => number | undefined): Overflow | undefined {
    for (const placement of placements) {
      for (const [sw, t] of planMigration(this.ctx, graph, placement)) {
        const budget = budgetOf(sw);
        const dpid = this.dpidOf.get(sw);
        if (budget === undefined || dpid === undefined) continue;
        const plan = this.plans.plan(dpid);
        const own = plan.get(`migration/${hoa}`);
        const entries = plan.entries - (own ? own.flowKeys.length + own.groupIds.length : 0) + t.flows.length + t.groups.length;
        if (entries > budget) return { switch: sw, budget, entries };
      }
    }
    return undefined;
  }

  /** Sets the part of `hoa` on every switch from `placement` (none: removed everywhere); returns what to wait for. */
  set(hoa: string, placement: Placement | undefined, graph: FabricGraph): PartWait {
    const tables: Map<string, SwitchTables> = placement ? planMigration(this.ctx, graph, placement) : new Map();
    const before = this.partOn.get(hoa) ?? new Set<string>();
    const after = new Set<string>();
    let version = this.plans.version;
    const name = `migration/${hoa}`; // one string for every switch's part (100k bindings: millions of part names otherwise)
    for (const sw of new Set([...before, ...tables.keys()])) {
      const dpid = this.dpidOf.get(sw);
      if (dpid === undefined) continue;
      version = Math.max(version, this.plans.set(dpid, name, tables.get(sw)));
      if (tables.has(sw)) after.add(sw);
    }
    if (after.size > 0) this.partOn.set(hoa, after);
    else this.partOn.delete(hoa);
    const dpids = [...new Set([...before, ...after])].map((s) => this.dpidOf.get(s)).filter((d): d is string => d !== undefined);
    return { version, dpids };
  }
}
