import type { Network } from '../topology/networks.js';
import { networkOf } from '../topology/networks.js';
import { MIGRATION_MODES, copyBinding, type Binding, type InFlight } from './binding-store.js';
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

/** A migration in flight as stored (JSON), or why it cannot be read. */
export function parseFlight(text: string): InFlight['record'] | string {
  let record: InFlight['record'];
  try {
    record = JSON.parse(text) as InFlight['record'];
  } catch (e) {
    return `its record is not JSON: ${(e as Error).message}`;
  }
  const places = [record?.from, record?.to];
  if (typeof record?.hoa !== 'string' || typeof record.id !== 'string' || !Array.isArray(record.timeline) || places.some((p) => typeof p?.switch !== 'string' || typeof p.port !== 'number' || typeof p.subnet !== 'string')) {
    return 'its record lacks an id, the HoA, a timeline or a place (switch, port, subnet)';
  }
  // JSON has no undefined: a place at home comes back without its `coa` key.
  for (const place of [record.from, record.to]) place.coa = place.coa ?? undefined;
  return record;
}

/** A binding as a clustered store keeps it (JSON), checked field by field, or why it cannot be read. */
export function parseBinding(text: string): Binding | string {
  let b: Binding;
  try {
    b = JSON.parse(text) as Binding;
  } catch (e) {
    return `it is not JSON: ${(e as Error).message}`;
  }
  const strings = [b?.hoa, b?.mac, b?.homeSubnet, b?.home?.switch, b?.subnet, b?.coa, b?.switch];
  const numbers = [b?.home?.port, b?.port, b?.createdAt, b?.updatedAt];
  if (strings.some((s) => typeof s !== 'string') || numbers.some((n) => typeof n !== 'number')) return 'it lacks a field of a binding (hoa, mac, homeSubnet, home, subnet, coa, switch, port, createdAt, updatedAt)';
  if (!(MIGRATION_MODES as readonly string[]).includes(b.mode)) return `its mode "${String(b.mode)}" is not one of ${MIGRATION_MODES.join(', ')}`;
  if (b.state !== 'prepared' && b.state !== 'active') return `its state "${String(b.state)}" is neither prepared nor active`;
  return copyBinding(b);
}
