import type { Admission, MigrationRequest } from './admission.js';
import { MIGRATION_MODES, type MigrationMode } from './binding-store.js';
import { MigrationError } from './migration-error.js';
import type { Placement } from './migration-planner.js';
import type { Overflow } from './vm-parts.js';
import type { Topology } from '../topology/model.js';

/**
 * A switch's table budget (issue 26, docs/topology.md): the most entries svcswitch may plan
 * on it. A migration is held to it before anything is allocated or sent; one that would pass
 * it takes a cheaper mode, or is refused with the switch's name.
 */

/** Each switch that has a table budget, with it: read from the file once (every migration asks). */
export function tableBudgets(t: Topology | undefined): ReadonlyMap<string, number> {
  if (t === undefined) return NONE;
  let budgets = budgetsOf.get(t);
  if (!budgets) {
    budgets = new Map(t.switches.flatMap((s) => (s.tableBudget === undefined ? [] : [[s.name, s.tableBudget] as const])));
    budgetsOf.set(t, budgets);
  }
  return budgets;
}
const NONE: ReadonlyMap<string, number> = new Map();
const budgetsOf = new WeakMap<Topology, ReadonlyMap<string, number>>();

/**
 * The modes, the most entries first: first-hop redirects at every first hop, optimized at the
 * Home and Edge switches, mobile-ip at the Home switch only. A mode that passes a budget gives
 * way to the next one here.
 */
export const MODES_BY_COST: readonly MigrationMode[] = ['first-hop', 'optimized', 'mobile-ip'];
// Every mode is in the order, once (a new mode must be placed in it).
if (new Set(MODES_BY_COST).size !== MIGRATION_MODES.length) throw new Error('MODES_BY_COST must hold every migration mode once');

/**
 * The placements a migration goes through, made before anything is allocated: prepared (both
 * places and the bicast), then switched over (every redirect at the new place). `coa` stands
 * for the CoA it will get in its new subnet (none going home): how many entries a switch
 * gets does not depend on which address it is.
 */
export function provisionalPlacements(a: Admission, req: MigrationRequest, mode: MigrationMode, coa: string | undefined, group: number): Placement[] {
  const base = { hoa: a.hoa, mac: a.mac, home: a.home, mode };
  const next = { switch: req.switch, port: req.port, coa };
  return [
    { ...base, at: { switch: a.from.switch, port: a.from.port, coa: a.from.coa }, next, group },
    { ...base, at: next, group: undefined },
  ];
}

/**
 * The mode a migration takes within every table budget: `start` if it fits; else, unless the
 * mode may not change (`fixed`: the request named it, or a chained move keeps its binding's),
 * the next of MODES_BY_COST that fits. A 409 names the switch the last mode tried would pass.
 */
export function modeWithinBudget(hoa: string, start: MigrationMode, fixed: boolean, overflowOf: (mode: MigrationMode) => Overflow | undefined): MigrationMode {
  const candidates = fixed ? [start] : MODES_BY_COST.slice(MODES_BY_COST.indexOf(start));
  let over: Overflow | undefined;
  let tried: MigrationMode = start;
  for (const mode of candidates) {
    tried = mode;
    over = overflowOf(mode);
    if (over === undefined) return mode;
  }
  const alternatives = fixed ? '' : candidates.length > 1 ? ` (${candidates.slice(0, -1).join(' and ')} would too)` : '';
  throw new MigrationError(409, `${hoa} in ${tried} mode would put ${over!.entries} entries on ${over!.switch}, past its table budget of ${over!.budget}${alternatives}`);
}
