import { Subject, concat, defer, from, type Observable } from 'rxjs';

/**
 * The paper's three ways of keeping a migrated VM reachable: `mobile-ip` (the Home switch
 * redirects to the CoA, the Foreign switch restores the HoA: triangle routing), `optimized`
 * (NAT at the Edge switch for traffic entering the datacenter), `first-hop` (NAT at every
 * correspondent's first switch: the shortest path for everyone).
 */
export const MIGRATION_MODES = ['mobile-ip', 'optimized', 'first-hop'] as const;
/** One of MIGRATION_MODES: the one definition the API's schema, the CLI and the state file's check are made from (or checked against). */
export type MigrationMode = (typeof MIGRATION_MODES)[number];

/** `prepared`: the foreign side and the bicast are installed, the VM not yet seen there. `active`: switched over. */
export type BindingState = 'prepared' | 'active';

/** Where a migrated VM is now, and how it is reached. */
export interface Binding {
  /** Home Address: the VM's address, which its operating system keeps. */
  hoa: string;
  mac: string;
  homeSubnet: string;
  /** Where the VM was in its Home Network (where it returns when its binding is deleted). */
  home: { switch: string; port: number };
  /** The foreign subnet it is in now. */
  subnet: string;
  /** Care-of Address, from the foreign subnet's pool. */
  coa: string;
  switch: string;
  port: number;
  mode: MigrationMode;
  state: BindingState;
  createdAt: number;
  updatedAt: number;
}

/**
 * A copy, field by field in one literal: a store keeps one per binding, and a copy made by a
 * spread with a property after it (`{ ...b, home }`) gets a hidden class of its own in V8
 * (some 300 bytes a binding).
 */
export const copyBinding = (b: Binding): Binding => ({
  hoa: b.hoa, mac: b.mac, homeSubnet: b.homeSubnet, home: { switch: b.home.switch, port: b.home.port }, subnet: b.subnet, coa: b.coa,
  switch: b.switch, port: b.port, mode: b.mode, state: b.state, createdAt: b.createdAt, updatedAt: b.updatedAt,
});

export type BindingChange = { kind: 'set'; binding: Binding } | { kind: 'deleted'; binding: Binding };

type MigrationStatus = 'preparing' | 'prepared' | 'completed' | 'rolled-back' | 'cancelled' | 'failed';

/** A migration that ended: switched over, or undone. */
export const isFinished = (r: { status: MigrationStatus }): boolean => r.status !== 'preparing' && r.status !== 'prepared';

/** Where a VM is, as a migration record names it: a switch port, the CoA it has there (none at home), its subnet. */
interface MigrationPlace {
  switch: string;
  port: number;
  coa: string | undefined;
  subnet: string;
}

/** One step of a migration's life, with when it happened (ms since the epoch). */
interface TimelineStep {
  step: string;
  at: number;
}

export interface MigrationRecord {
  id: string;
  hoa: string;
  mac: string;
  mode: MigrationMode;
  trigger: 'orchestrated' | 'announced';
  from: MigrationPlace;
  to: MigrationPlace;
  status: MigrationStatus;
  reason?: string;
  timeline: TimelineStep[];
}

/** A migration in flight as kept for a restart: resumed with what is left of its time, or rolled back once its deadline passed. */
export interface InFlight {
  record: MigrationRecord;
  /** The VM held its new CoA before this migration began: a rollback keeps it held. */
  coaWasHeld: boolean;
  /** When it is rolled back unless completed (ms since the epoch). */
  deadline: number;
}

/**
 * The migration's state: bindings (with their CoAs), the bicast group id of each VM, and
 * the migrations in flight. Kept in memory here (tests, benchmarks) and in SQLite by
 * `src/state/` (survives kill -9); a clustered (etcd) implementation only adds a class. A
 * late subscriber to `changes$` first gets every binding as `set`, then the changes.
 */
/** A released Care-of Address, resting until `until` (epoch ms) before it is handed out again (coa-pools.ts). */
export interface RestingCoa {
  subnet: string;
  until: number;
}

export interface BindingStore {
  readonly changes$: Observable<BindingChange>;
  get(hoa: string): Binding | undefined;
  all(): Binding[];
  /** Creates or replaces the binding of `binding.hoa`. */
  put(binding: Binding): void;
  /** Deletes the binding of `hoa`; false if there was none. */
  delete(hoa: string): boolean;
  /** Bicast group ids by HoA: kept so that a restart plans the very same groups (and rewrites none). */
  groupIds(): Map<string, number>;
  setGroupId(hoa: string, id: number | undefined): void;
  inFlight(): InFlight[];
  setInFlight(hoa: string, migration: InFlight | undefined): void;
  /** A migration id never handed out before, by this store (ids are not reused across restarts). */
  takeMigrationId(): string;
  /** The finished migrations kept (for the API), oldest first: what a restarted or newly elected leader shows. */
  finished(): MigrationRecord[];
  /**
   * Keeps the finished migration `record` (again, when its timeline grew), and at most `keep`
   * finished ones: the oldest go. Run inside a `transaction` or on its own.
   */
  keepFinished(record: MigrationRecord, keep: number): void;
  /** Released CoAs still resting, by CoA (an expired one may linger until its CoA is taken again): a restart or a new leader honours them. */
  resting(): Map<string, RestingCoa>;
  /** Whether `coa` has a rest on record (a lookup: `resting()` copies every rest). */
  isResting(coa: string): boolean;
  /** `coa` rests until `rest.until`, or (undefined) no longer: taken again. Run inside a `transaction` or on its own. */
  setResting(coa: string, rest: RestingCoa | undefined): void;
  /**
   * Takes `hoa`'s binding, group id and migration in flight out of what is in force, without
   * erasing what a durable store keeps of them: a row the topology no longer fits (a switch
   * renamed, a subnet gone) is set aside for the operator to look at, never acted on.
   */
  setAside(hoa: string): void;
  /** Rows a durable store could not read back (kept where they are, not in force), for the service to report. */
  readonly unreadable?: ReadonlyArray<{ table: string; hoa: string; why: string }>;
  /**
   * Runs `write` as one change: every write in it lands, or (a durable store that cannot
   * write: disk full, read-only) none does and it throws. The in-memory store cannot fail.
   */
  transaction<T>(write: () => T): T;
  /**
   * Resolves once every write so far is durable: at once for SQLite and memory (a transaction
   * commits before it returns); a clustered store commits behind the copy in memory and
   * rejects here, saying why, when a write did not land. An answer waits for this.
   */
  flush(): Promise<void>;
  /**
   * HoAs whose binding, bicast group or migration in flight another member changed (a
   * clustered store's watch): this member re-plans them. Absent for a store with one writer.
   */
  readonly remote$?: Observable<string>;
  /**
   * A clustered store: a follower saw the VM of migration `id` arrive at its new port (at a
   * switch it masters), for the leader to switch over. Told once per migration.
   */
  reportArrival?(hoa: string, id: string): void;
  /** Arrivals the followers reported, for the leader (only while this member writes). */
  readonly arrivals$?: Observable<{ hoa: string; id: string }>;
}

/**
 * The copy in memory that every store serves reads from (the packet-in path reads bindings;
 * it never waits for a disk or a network), with `changes$`. A store decides when a write
 * reaches it: at once (memory), after its commit (SQLite), or as etcd's watch brings it.
 */
export abstract class BindingMirror {
  protected readonly bindings = new Map<string, Binding>();
  protected readonly groups = new Map<string, number>();
  protected readonly flights = new Map<string, InFlight>();
  /** Finished migrations by id. */
  protected readonly history = new Map<string, MigrationRecord>();
  protected readonly restingCoas = new Map<string, RestingCoa>();
  private readonly subject = new Subject<BindingChange>();
  readonly changes$: Observable<BindingChange> = defer(() =>
    concat(from(this.all().map((binding): BindingChange => ({ kind: 'set', binding }))), this.subject),
  );

  get(hoa: string): Binding | undefined {
    const b = this.bindings.get(hoa);
    return b && copyBinding(b);
  }

  all(): Binding[] {
    return [...this.bindings.values()].map(copyBinding);
  }

  groupIds(): Map<string, number> {
    return new Map(this.groups);
  }

  inFlight(): InFlight[] {
    return [...this.flights.values()].map((m) => structuredClone(m));
  }

  resting(): Map<string, RestingCoa> {
    return new Map([...this.restingCoas].map(([coa, r]) => [coa, { ...r }]));
  }

  isResting(coa: string): boolean {
    return this.restingCoas.has(coa);
  }

  finished(): MigrationRecord[] {
    return [...this.history.values()].sort(byId).map((r) => structuredClone(r));
  }

  /** The ids that keeping one more finished migration, `id`, pushes out of the last `keep`, oldest first. */
  protected pushedOut(id: string, keep: number): string[] {
    const ids = new Set([...this.history.keys(), id]);
    return [...ids].sort((a, b) => Number(a) - Number(b)).slice(0, Math.max(0, ids.size - keep));
  }

  setAside(hoa: string): void {
    this.bindings.delete(hoa);
    this.groups.delete(hoa);
    this.flights.delete(hoa);
  }

  /** `b` in force (the mirror keeps it as given: pass a copy), emitted as set. */
  protected setBinding(b: Binding): void {
    this.bindings.set(b.hoa, b);
    this.subject.next({ kind: 'set', binding: copyBinding(b) });
  }

  /** `hoa`'s binding out of force, emitted as deleted; false if there was none. */
  protected dropBinding(hoa: string): boolean {
    const b = this.bindings.get(hoa);
    if (!b) return false;
    this.bindings.delete(hoa);
    this.subject.next({ kind: 'deleted', binding: b });
    return true;
  }
}

/** Migration ids are handed out rising: by id is by age. */
const byId = (a: MigrationRecord, b: MigrationRecord): number => Number(a.id) - Number(b.id);

export class InMemoryBindingStore extends BindingMirror implements BindingStore {
  private nextId = 1;

  put(binding: Binding): void {
    this.setBinding(copyBinding(binding));
  }

  delete(hoa: string): boolean {
    return this.dropBinding(hoa);
  }

  setGroupId(hoa: string, id: number | undefined): void {
    if (id === undefined) this.groups.delete(hoa);
    else this.groups.set(hoa, id);
  }

  setInFlight(hoa: string, migration: InFlight | undefined): void {
    if (migration === undefined) this.flights.delete(hoa);
    else this.flights.set(hoa, structuredClone(migration));
  }

  takeMigrationId(): string {
    return String(this.nextId++);
  }

  keepFinished(record: MigrationRecord, keep: number): void {
    for (const id of this.pushedOut(record.id, keep)) this.history.delete(id);
    if (keep > 0) this.history.set(record.id, structuredClone(record));
  }

  setResting(coa: string, rest: RestingCoa | undefined): void {
    if (rest === undefined) this.restingCoas.delete(coa);
    else this.restingCoas.set(coa, { ...rest });
  }

  transaction<T>(write: () => T): T {
    return write();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
