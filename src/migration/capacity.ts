import type { FabricContext } from '../fabric/fabric-planner.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
import type { HostSpec } from '../topology/model.js';
import { networkOf } from '../topology/networks.js';
import { MIGRATION_MODES, type MigrationMode } from './binding-store.js';
import { planMigration } from './migration-planner.js';

/** One switch with a table budget: what is planned on it, and how many more bindings of each mode it fits (null: a mode that puts nothing there). */
export interface SwitchCapacity {
  switch: string;
  budget: number;
  entries: number;
  fits: Record<MigrationMode, number | null>;
}

/**
 * The entries one more binding of `mode` puts on each switch that is neither its Home nor
 * its Foreign switch: what every binding of that mode costs there (first-hop: a redirect and
 * a restore at every first hop; optimized: a redirect at every Edge switch; mobile-ip:
 * nothing). Measured on the planner itself, so it can never disagree with what the planner
 * plans: a declared VM (dual-stack if the datacenter has one: the most a binding costs) moved
 * to another subnet, and a second one with another Home and Foreign for the switches the
 * first one is at. Two plans a mode, whatever the number of switches; kept per graph (a link
 * change makes a new one).
 */
export function bindingCosts(ctx: FabricContext, graph: FabricGraph, mode: MigrationMode): ReadonlyMap<string, number> {
  let byMode = costsByGraph.get(graph);
  if (!byMode) {
    byMode = new Map();
    costsByGraph.set(graph, byMode);
  }
  const known = byMode.get(mode);
  if (known) return known;
  const costs = new Map<string, number>();
  const hosts = [...ctx.topology.hosts].sort((a, b) => Number(b.ip6 !== undefined) - Number(a.ip6 !== undefined));
  // The second VM's Home and Foreign avoid the first's, whose costs it measures.
  const avoid = new Set<string>();
  for (let round = 0; round < 2; round++) {
    const pick = representative(ctx, hosts, avoid);
    if (!pick) break;
    const tables = planMigration(ctx, graph, { hoa: pick.vm.ip, mac: pick.vm.mac, home: pick.home, mode, at: pick.at, group: undefined });
    for (const sw of ctx.topology.switches) {
      if (sw.name === pick.home.switch || sw.name === pick.at.switch || costs.has(sw.name)) continue;
      const t = tables.get(sw.name);
      costs.set(sw.name, t ? t.flows.length + t.groups.length : 0);
    }
    avoid.add(pick.home.switch).add(pick.at.switch);
  }
  byMode.set(mode, costs);
  return costs;
}

const costsByGraph = new WeakMap<FabricGraph, Map<MigrationMode, ReadonlyMap<string, number>>>();

/** A declared VM, and a subnet of another switch to move it to, neither switch in `avoid`. */
function representative(ctx: FabricContext, hosts: readonly HostSpec[], avoid: ReadonlySet<string>) {
  for (const vm of hosts) {
    const home = networkOf(ctx.networks, vm.ip);
    if (!home || home.external || avoid.has(home.switch)) continue;
    const target = ctx.topology.subnets.find((s) => s.switch !== home.switch && !avoid.has(s.switch));
    if (target) return { vm, home, at: { switch: target.switch, port: 0xfff0, coa: target.coaPool.first } };
  }
  return undefined;
}

/** Each budgeted switch's capacity: floor((budget - entries) / cost) for each mode that costs it anything. */
export function capacityOf(ctx: FabricContext, graph: FabricGraph, budgets: ReadonlyMap<string, number>, entriesOf: (sw: string) => number): SwitchCapacity[] {
  return [...budgets].map(([sw, budget]) => {
    const entries = entriesOf(sw);
    const fits = Object.fromEntries(MIGRATION_MODES.map((mode) => {
      const cost = bindingCosts(ctx, graph, mode).get(sw) ?? 0;
      return [mode, cost === 0 ? null : Math.max(0, Math.floor((budget - entries) / cost))];
    })) as Record<MigrationMode, number | null>;
    return { switch: sw, budget, entries, fits };
  });
}
