import type { FabricContext } from '../fabric/fabric-planner.js';
import type { FabricGraph } from '../topology/fabric-graph.js';
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
 * The entries one more binding of `mode` puts on `sw` when `sw` is neither its Home nor its
 * Foreign switch: what every binding of that mode costs there (first-hop: a redirect and a
 * restore at every first hop; optimized: a redirect at every Edge switch; mobile-ip: none).
 * Measured on the planner itself with a declared VM (dual-stack if the datacenter has one:
 * the most a binding costs) moved to a subnet of another switch, so it can never disagree
 * with what the planner plans. 0 when no such VM or subnet exists.
 */
export function bindingCost(ctx: FabricContext, graph: FabricGraph, sw: string, mode: MigrationMode): number {
  const subnets = ctx.topology.subnets;
  const hosts = [...ctx.topology.hosts].sort((a, b) => Number(b.ip6 !== undefined) - Number(a.ip6 !== undefined));
  for (const vm of hosts) {
    const home = networkOf(ctx.networks, vm.ip);
    const target = subnets.find((s) => s.switch !== sw && s.switch !== home?.switch);
    if (!home || home.external || home.switch === sw || !target) continue;
    const at = { switch: target.switch, port: 0xfff0, coa: target.coaPool.first };
    const t = planMigration(ctx, graph, { hoa: vm.ip, mac: vm.mac, home, mode, at, group: undefined }).get(sw);
    return t ? t.flows.length + t.groups.length : 0;
  }
  return 0;
}

/** Each budgeted switch's capacity: floor((budget - entries) / cost) for each mode that costs it anything. */
export function capacityOf(ctx: FabricContext, graph: FabricGraph, budgets: ReadonlyMap<string, number>, entriesOf: (sw: string) => number): SwitchCapacity[] {
  return [...budgets].map(([sw, budget]) => {
    const entries = entriesOf(sw);
    const fits = Object.fromEntries(MIGRATION_MODES.map((mode) => {
      const cost = bindingCost(ctx, graph, sw, mode);
      return [mode, cost === 0 ? null : Math.max(0, Math.floor((budget - entries) / cost))];
    })) as Record<MigrationMode, number | null>;
    return { switch: sw, budget, entries, fits };
  });
}
