import type { Network } from '../topology/networks.js';
import { networkOf } from '../topology/networks.js';
import type { Binding, InFlight } from './binding-store.js';
import type { CoaPools } from './coa-pools.js';

/** What a stored row is checked against: the topology as the controller now has it. */
export interface StoredRowContext {
  /** The subnets (not external networks), each with the switch that serves it. */
  networks: readonly Network[];
  switches: ReadonlySet<string>;
  pools: CoaPools;
}

type Place = { switch: string; port: number; subnet?: string };

/**
 * Why a stored binding does not fit the topology (a switch renamed, a subnet gone or served
 * elsewhere, a CoA outside its pool), or undefined when it does. Pure: the restore sets such
 * a row aside with a warn instead of acting on it.
 */
export function bindingMisfit(ctx: StoredRowContext, b: Binding): string | undefined {
  return placesMisfit(ctx, b.homeSubnet, [b.home, b]) ?? (ctx.pools.inPool(b.subnet, b.coa) ? undefined : `CoA ${b.coa} is not in the pool of ${b.subnet}`);
}

/** The same for a migration in flight: its HoA's subnet and both of its places. */
export function flightMisfit(ctx: StoredRowContext, record: InFlight['record']): string | undefined {
  return placesMisfit(ctx, networkOf(ctx.networks, record.hoa)?.name, [record.from, record.to]);
}

function placesMisfit(ctx: StoredRowContext, homeSubnet: string | undefined, places: readonly Place[]): string | undefined {
  if (homeSubnet === undefined || !ctx.networks.some((n) => n.name === homeSubnet)) return `its home subnet ${homeSubnet ?? '(none)'} is not in the topology`;
  for (const p of places) {
    if (!ctx.switches.has(p.switch)) return `switch ${p.switch} is not in the topology`;
    if (p.subnet !== undefined && ctx.networks.find((n) => n.name === p.subnet)?.switch !== p.switch) return `subnet ${p.subnet} is not served by ${p.switch} in the topology`;
  }
  return undefined;
}
