import type { Logger } from '../log/logger.js';
import type { Network } from '../topology/networks.js';
import type { Binding, BindingStore, MigrationRecord } from './binding-store.js';
import type { MigrationLedger } from './migration-ledger.js';
import type { MigrationResources } from './migration-resources.js';
import { bindingMisfit, flightMisfit } from './stored-rows.js';
import type { PartWait } from './vm-parts.js';

/** What the restore reads and acts through: the store, what migrations hold, and the service's own steps. */
export interface RestoreDeps {
  bindings: BindingStore;
  resources: MigrationResources;
  ledger: MigrationLedger;
  networks: readonly Network[];
  switches: ReadonlySet<string>;
  log: Logger;
  /** The fabric delivers to a bound VM at its foreign port. */
  relocate(b: Binding): void;
  pend(record: MigrationRecord, coaWasHeld: boolean, timeoutMs: number): void;
  replan(hoa: string): PartWait;
  confirm(wait: PartWait, record: MigrationRecord): Promise<void>;
  save(write: () => void, hoa: string): boolean;
}

/**
 * What the store kept, back in force before any switch connects: each binding's CoA and
 * group, the VM at its foreign port, migrations in flight resumed with the time they have
 * left (or rolled back when it ran out), and every VM's part planned as it was, so that
 * reconnecting switches find their tables already right. A stored row that does not fit the
 * topology is set aside with a warn naming it and why (never a crash at start).
 */
export function restoreMigrations(d: RestoreDeps): void {
  const { bindings, resources, ledger, log } = d;
  const now = Date.now();
  for (const row of bindings.unreadable ?? []) log.warn('stored row skipped', { table: row.table, hoa: row.hoa, why: row.why });
  const setAsideUnless = (hoa: string, table: string, why: string | undefined): void => {
    if (why === undefined) return;
    log.warn('stored row skipped: it does not fit the topology', { table, hoa, why });
    bindings.setAside(hoa);
  };
  const ctx = { networks: d.networks, switches: d.switches, pools: resources.pools };
  for (const b of bindings.all()) setAsideUnless(b.hoa, 'bindings', bindingMisfit(ctx, b));
  for (const { record } of bindings.inFlight()) setAsideUnless(record.hoa, 'migrations_in_flight', flightMisfit(ctx, record));
  const flights = bindings.inFlight();
  const live = new Set([...bindings.all().map((b) => b.hoa), ...flights.map((f) => f.record.hoa)]);
  const inFlight = new Set(flights.map((f) => f.record.hoa));
  for (const [hoa, id] of bindings.groupIds()) {
    if (inFlight.has(hoa)) resources.groups.hold(hoa, id);
    else d.save(() => bindings.setGroupId(hoa, undefined), hoa);
  }
  for (const b of bindings.all()) {
    if (!resources.pools.claim(b.subnet, b.coa, b.hoa)) log.warn('stored CoA already held', { hoa: b.hoa, coa: b.coa, subnet: b.subnet });
    if (b.state === 'active') d.relocate(b);
  }
  for (const { record, coaWasHeld, deadline } of flights) {
    if (record.to.coa !== undefined) resources.pools.claim(record.to.subnet, record.to.coa, record.hoa);
    record.timeline.push({ step: 'found after a restart', at: now });
    d.pend(record, coaWasHeld, deadline - now);
    ledger.remember(record);
  }
  // Released CoAs still resting (saved by this process before, or by the leader before this member) are not handed out before their time.
  for (const [coa, rest] of bindings.resting()) resources.pools.rest(rest.subnet, coa, rest.until);
  for (const hoa of live) d.replan(hoa);
  for (const { record } of flights) {
    if (record.status !== 'preparing') continue;
    void d.confirm(d.replan(record.hoa), record).then(
      () => {
        if (record.status === 'preparing') record.status = 'prepared';
      },
      (e: Error) => log.warn('resumed migration not confirmed', { hoa: record.hoa, error: e.message }),
    );
  }
  if (live.size > 0) log.info('migration state restored', { bindings: bindings.all().length, inFlight: flights.length });
}
