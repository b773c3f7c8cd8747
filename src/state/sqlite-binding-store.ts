import { BindingMirror, copyBinding, type Binding, type BindingStore, type InFlight, type MigrationMode, type MigrationRecord, type RestingCoa } from '../migration/binding-store.js';
import { parseFlight } from '../migration/stored-rows.js';
import type { StateDatabase } from './database.js';

interface BindingRow {
  hoa: string;
  mac: string;
  home_subnet: string;
  home_switch: string;
  home_port: number;
  subnet: string;
  coa: string;
  switch: string;
  port: number;
  mode: string;
  state: string;
  created_at: number;
  updated_at: number;
}

const toRow = (b: Binding): BindingRow => ({
  hoa: b.hoa, mac: b.mac, home_subnet: b.homeSubnet, home_switch: b.home.switch, home_port: b.home.port, subnet: b.subnet, coa: b.coa,
  switch: b.switch, port: b.port, mode: b.mode, state: b.state, created_at: b.createdAt, updated_at: b.updatedAt,
});

const fromRow = (r: BindingRow): Binding => ({
  hoa: r.hoa, mac: r.mac, homeSubnet: r.home_subnet, home: { switch: r.home_switch, port: r.home_port }, subnet: r.subnet, coa: r.coa,
  // The schema's CHECK constraints keep these two to their values.
  switch: r.switch, port: r.port, mode: r.mode as MigrationMode, state: r.state as Binding['state'], createdAt: r.created_at, updatedAt: r.updated_at,
});

/**
 * The migration's state in SQLite (src/state/database.ts): every write goes to the file
 * first, and only once it is committed to the copy in memory that reads are served from
 * (the packet-in path reads bindings; it never waits for the disk). Inside `transaction`,
 * what reaches memory and `changes$` waits for the commit, so a write that fails leaves
 * both as they were.
 */
export class SqliteBindingStore extends BindingMirror implements BindingStore {
  private nextId: number;
  /** Inside a transaction: what to do to memory once it commits. */
  private queued: Array<() => void> | undefined;
  private readonly sql;
  /** Rows that could not be read back (kept in the file, not in force): the service logs each. */
  readonly unreadable: Array<{ table: string; hoa: string; why: string }> = [];

  constructor(private readonly db: StateDatabase) {
    super();
    this.sql = {
      // An upsert on the HoA only: INSERT OR REPLACE would settle a clash on (subnet, coa) by deleting the other VM's binding.
      putBinding: db.prepare(`INSERT INTO bindings VALUES (@hoa, @mac, @home_subnet, @home_switch, @home_port, @subnet, @coa, @switch, @port, @mode, @state, @created_at, @updated_at)
        ON CONFLICT (hoa) DO UPDATE SET mac = excluded.mac, home_subnet = excluded.home_subnet, home_switch = excluded.home_switch, home_port = excluded.home_port,
          subnet = excluded.subnet, coa = excluded.coa, switch = excluded.switch, port = excluded.port, mode = excluded.mode, state = excluded.state,
          created_at = excluded.created_at, updated_at = excluded.updated_at`),
      deleteBinding: db.prepare('DELETE FROM bindings WHERE hoa = ?'),
      putGroup: db.prepare('INSERT INTO bicast_groups VALUES (?, ?) ON CONFLICT (hoa) DO UPDATE SET group_id = excluded.group_id'),
      deleteGroup: db.prepare('DELETE FROM bicast_groups WHERE hoa = ?'),
      putFlight: db.prepare('INSERT OR REPLACE INTO migrations_in_flight VALUES (?, ?, ?, ?)'),
      deleteFlight: db.prepare('DELETE FROM migrations_in_flight WHERE hoa = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)'),
      putFinished: db.prepare('INSERT OR REPLACE INTO migration_history VALUES (?, ?)'),
      deleteFinished: db.prepare('DELETE FROM migration_history WHERE id = ?'),
      putResting: db.prepare('INSERT OR REPLACE INTO coa_rest VALUES (?, ?, ?)'),
      deleteResting: db.prepare('DELETE FROM coa_rest WHERE coa = ?'),
    };
    for (const r of db.prepare('SELECT * FROM bindings').all() as BindingRow[]) this.bindings.set(r.hoa, fromRow(r));
    for (const r of db.prepare('SELECT hoa, group_id FROM bicast_groups').all() as Array<{ hoa: string; group_id: number }>) this.groups.set(r.hoa, r.group_id);
    for (const r of db.prepare('SELECT * FROM migrations_in_flight').all() as Array<{ hoa: string; record: string; coa_was_held: number; deadline: number }>) {
      const record = parseFlight(r.record);
      if (typeof record === 'string') {
        this.unreadable.push({ table: 'migrations_in_flight', hoa: r.hoa, why: record });
        continue;
      }
      this.flights.set(r.hoa, { record, coaWasHeld: r.coa_was_held === 1, deadline: r.deadline });
    }
    for (const r of db.prepare('SELECT id, record FROM migration_history').all() as Array<{ id: number; record: string }>) {
      const record = parseFlight(r.record);
      if (typeof record === 'string') this.unreadable.push({ table: 'migration_history', hoa: String(r.id), why: record });
      else this.history.set(record.id, record);
    }
    for (const r of db.prepare('SELECT coa, subnet, until FROM coa_rest').all() as Array<{ coa: string; subnet: string; until: number }>) this.restingCoas.set(r.coa, { subnet: r.subnet, until: r.until });
    const next = db.prepare(`SELECT value FROM meta WHERE key = 'next-migration-id'`).get() as { value: number } | undefined;
    this.nextId = next?.value ?? 1;
  }

  put(binding: Binding): void {
    const copy = copyBinding(binding);
    this.sql.putBinding.run(toRow(copy));
    this.afterCommit(() => this.setBinding(copy));
  }

  delete(hoa: string): boolean {
    if (this.sql.deleteBinding.run(hoa).changes === 0) return false;
    this.afterCommit(() => this.dropBinding(hoa));
    return true;
  }

  setGroupId(hoa: string, id: number | undefined): void {
    if (id === undefined) this.sql.deleteGroup.run(hoa);
    else this.sql.putGroup.run(hoa, id);
    this.afterCommit(() => (id === undefined ? this.groups.delete(hoa) : this.groups.set(hoa, id)));
  }

  setInFlight(hoa: string, migration: InFlight | undefined): void {
    const copy = migration && structuredClone(migration);
    if (copy === undefined) this.sql.deleteFlight.run(hoa);
    else this.sql.putFlight.run(hoa, JSON.stringify(copy.record), copy.coaWasHeld ? 1 : 0, copy.deadline);
    this.afterCommit(() => (copy === undefined ? this.flights.delete(hoa) : this.flights.set(hoa, copy)));
  }

  takeMigrationId(): string {
    // Taken at once, even if the transaction then fails: an id skipped is harmless, one reused is not.
    const id = this.nextId++;
    this.sql.putMeta.run('next-migration-id', this.nextId);
    return String(id);
  }

  keepFinished(record: MigrationRecord, keep: number): void {
    const copy = structuredClone(record);
    this.transaction(() => {
      const gone = this.pushedOut(copy.id, keep);
      for (const id of gone) this.sql.deleteFinished.run(Number(id));
      if (keep > 0) this.sql.putFinished.run(Number(copy.id), JSON.stringify(copy));
      this.afterCommit(() => {
        for (const id of gone) this.history.delete(id);
        if (keep > 0) this.history.set(copy.id, copy);
      });
    });
  }

  setResting(coa: string, rest: RestingCoa | undefined): void {
    const copy = rest && { ...rest };
    if (copy === undefined) this.sql.deleteResting.run(coa);
    else this.sql.putResting.run(coa, copy.subnet, copy.until);
    this.afterCommit(() => (copy === undefined ? this.restingCoas.delete(coa) : this.restingCoas.set(coa, copy)));
  }

  transaction<T>(write: () => T): T {
    if (this.queued) return write(); // nested: part of the outer one
    const queued: Array<() => void> = [];
    this.queued = queued;
    let result: T;
    try {
      result = this.db.transaction(write)();
    } finally {
      this.queued = undefined;
    }
    for (const apply of queued) apply();
    return result;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  private afterCommit(apply: () => void): void {
    if (this.queued) this.queued.push(apply);
    else apply();
  }
}
