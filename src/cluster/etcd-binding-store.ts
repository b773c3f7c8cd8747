import type { Etcd3, IKeyValue, ITxnResponse, Watcher } from 'etcd3';
import { Subject, type Observable } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { BindingMirror, copyBinding, type Binding, type BindingStore, type InFlight, type MigrationRecord, type RestingCoa } from '../migration/binding-store.js';
import { parseBinding, parseFlight } from '../migration/stored-rows.js';

/** The state's keys under `<prefix>state/`: one a VM and table (a finished migration: one by its id), and the migration id counter. */
const TABLES = ['bindings', 'groups', 'flights', 'history', 'resting'] as const;
type Table = (typeof TABLES)[number];
const NEXT_ID = 'meta/next-migration-id';

/**
 * etcd refuses a transaction of more than 128 operations (`--max-txn-ops`): transactions of
 * the store queued meanwhile are committed together up to this many, never one split.
 */
const MAX_OPS_PER_COMMIT = 120;
/** Writes waiting for etcd, at most: past this (etcd far slower than the migrations asked of it) a write is refused (503), not queued. */
const MAX_QUEUED_OPS = 10_000;
/** Rows that could not be read, kept to report (one per table and VM), at most. */
const MAX_UNREADABLE = 1024;

/** One write: a key of the state and its new value (undefined: deleted). */
interface Op {
  key: string;
  value: string | undefined;
}

/** Who may write: the member that holds the migration leadership, for the term it holds it in. */
export interface WriterTerm {
  /** The leadership key (`masters/migrations`), its value (the member) and its mod revision (the term). */
  key: string;
  member: string;
  term: bigint;
}

/**
 * Writes `writes` (key -> new text, undefined: deleted) in one etcd transaction that lands only
 * while `writer` still holds its key at its term: a member that lost that duty writes nothing.
 * The one way a cluster member writes what it alone may write (the migration state, a switch's hosts).
 */
export function commitGuarded(client: Etcd3, writer: WriterTerm, writes: ReadonlyMap<string, string | undefined>): Promise<ITxnResponse> {
  return client
    .if(writer.key, 'Mod', '==', String(writer.term))
    .and(writer.key, 'Value', '==', writer.member)
    .then(...[...writes].map(([key, value]) => (value === undefined ? client.delete().key(key) : client.put(key).value(value))))
    .commit();
}

/**
 * The migration's state in etcd, for a cluster (docs/cluster.md). One member writes: the
 * migration leader, elected like a switch's master; every write is a transaction guarded by
 * its term (the leadership key still its own, at the revision it claimed it), so a member that
 * lost the leadership cannot write one more key. Every member keeps the whole state in memory
 * (reads never wait for etcd) and follows it by one watch; the leader's own writes land in
 * memory at once and are committed behind, in order, and `flush()` says when they are in etcd
 * (the API's answer waits for it). A commit that fails (the term lost, etcd unreachable past
 * its deadline) stops every further write until the member leads again, after a `resync()`
 * that makes memory what etcd holds.
 */
export class EtcdBindingStore extends BindingMirror implements BindingStore {
  /** Every key of the state (relative to `state/`) with its stored text: what a watch event or a resync is compared with. */
  private readonly raw = new Map<string, string>();
  private nextId = 1;
  private readonly remoteSubject = new Subject<string>();
  readonly remote$: Observable<string> = this.remoteSubject.asObservable();
  private readonly arrivalsSubject = new Subject<{ hoa: string; id: string }>();
  readonly arrivals$: Observable<{ hoa: string; id: string }> = this.arrivalsSubject.asObservable();
  private arrivalsWatcher: Watcher | undefined;
  private readonly failedSubject = new Subject<Error>();
  /** A commit did not land: this member writes nothing more until it leads again. */
  readonly failed$: Observable<Error> = this.failedSubject.asObservable();
  readonly unreadable: Array<{ table: string; hoa: string; why: string }> = [];

  /** The highest revision memory holds of what others wrote. */
  private revision = 0n;
  private writer: WriterTerm | undefined;
  /** Inside a transaction: its writes, committed together. */
  private batch: Op[] | undefined;
  /** Transactions waiting for their commit, in order, each with the term it was made in. */
  private readonly queued: Array<{ ops: Op[]; writer: WriterTerm }> = [];
  private queuedOps = 0;
  private committing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private watcher: Watcher | undefined;
  /** The revision of the last commit: what the other members' switches must hold before a migration is confirmed. */
  committedRevision = 0n;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    super();
  }

  private get root(): string {
    return `${this.prefix}state/`;
  }

  /** Reads the state and follows it. Rejects when etcd cannot be reached. */
  async start(): Promise<void> {
    await this.resync();
    const watcher = await this.client.watch().prefix(this.root).startRevision(String(this.revision + 1n)).create();
    this.watcher = watcher;
    watcher.on('data', (res) => {
      // The leader's memory is ahead of the watch: its own writes come back, nobody else's can land.
      if (this.writer) return;
      let newest = this.revision;
      for (const e of res.events) {
        const at = BigInt(e.kv.mod_revision);
        // Already in memory by a resync that read past it. (A transaction's events share one revision: compared with the revision before this response.)
        if (at <= this.revision) continue;
        if (at > newest) newest = at;
        this.observe(e.kv, e.type === 'Put' ? e.kv.value.toString() : undefined);
      }
      this.revision = newest;
    });
    watcher.on('error', (e) => this.log.warn('etcd watch of the migration state failed', { error: e.message }));
    const arrivals = await this.client.watch().prefix(this.arrivalsRoot).create();
    this.arrivalsWatcher = arrivals;
    arrivals.on('put', (kv) => this.arrival(kv));
    arrivals.on('error', (e) => this.log.warn('etcd watch of arrivals failed', { error: e.message }));
  }

  private get arrivalsRoot(): string {
    return `${this.prefix}arrivals/`;
  }

  reportArrival(hoa: string, id: string): void {
    void this.client.put(this.arrivalsRoot + hoa).value(JSON.stringify({ id })).exec().catch((e: Error) => this.log.warn('an arrival could not be told to the migration leader', { hoa, error: e.message }));
  }

  /** An arrival a follower reported: the leader acts on it (and takes the key away); a follower leaves it for the leader. */
  private arrival(kv: IKeyValue): void {
    if (!this.writer) return;
    const hoa = kv.key.toString().slice(this.arrivalsRoot.length);
    let id: unknown;
    try {
      id = (JSON.parse(kv.value.toString()) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    void this.client.delete().key(kv.key).exec().catch(() => undefined);
    if (typeof id === 'string') this.arrivalsSubject.next({ hoa, id });
  }

  async stop(): Promise<void> {
    this.follow();
    await this.committing;
    // Cancelled before the client closes, or its manager keeps reconnecting a watch nobody reads.
    await this.watcher?.cancel().catch(() => undefined);
    await this.arrivalsWatcher?.cancel().catch(() => undefined);
    this.client.close();
  }

  /**
   * Writes from now on, in `writer`'s term: first memory is made what etcd holds (a read after
   * the leadership was claimed has every write of the leaders before).
   */
  async lead(writer: WriterTerm): Promise<void> {
    await this.committing;
    await this.resync();
    this.failure = undefined;
    this.writer = writer;
    // Arrivals reported while no member led: acted on once the service leads (after this resolves).
    const waiting = await this.client.getAll().prefix(this.arrivalsRoot).exec();
    setImmediate(() => {
      for (const kv of waiting.kvs) this.arrival(kv);
    });
  }

  /** Stops writing (the leadership moved, or is in doubt); what is queued is still committed, guarded by the term it was made in. */
  follow(): void {
    this.writer = undefined;
  }

  /** The revision of etcd that memory holds everything of (a follower's: what its watch brought). */
  get heldRevision(): bigint {
    return this.revision;
  }

  get leading(): boolean {
    return this.writer !== undefined;
  }

  /** Makes memory what etcd holds now; every VM found different is emitted on `remote$`. */
  async resync(): Promise<void> {
    const snapshot = await this.client.getAll().prefix(this.root).exec();
    const seen = new Set<string>();
    for (const kv of snapshot.kvs) {
      seen.add(kv.key.toString().slice(this.root.length));
      this.observe(kv, kv.value.toString());
    }
    for (const key of [...this.raw.keys()]) if (!seen.has(key)) this.apply(key, undefined, true);
    this.revision = BigInt(snapshot.header.revision);
  }

  put(binding: Binding): void {
    this.write(`bindings/${binding.hoa}`, JSON.stringify(copyBinding(binding)));
  }

  delete(hoa: string): boolean {
    if (!this.bindings.has(hoa)) return false;
    this.write(`bindings/${hoa}`, undefined);
    return true;
  }

  setGroupId(hoa: string, id: number | undefined): void {
    this.write(`groups/${hoa}`, id === undefined ? undefined : String(id));
  }

  setInFlight(hoa: string, migration: InFlight | undefined): void {
    this.write(`flights/${hoa}`, migration === undefined ? undefined : JSON.stringify(migration));
  }

  keepFinished(record: MigrationRecord, keep: number): void {
    this.transaction(() => {
      for (const id of this.pushedOut(record.id, keep)) this.write(`history/${id}`, undefined);
      if (keep > 0) this.write(`history/${record.id}`, JSON.stringify(record));
    });
  }

  setResting(coa: string, rest: RestingCoa | undefined): void {
    this.write(`resting/${coa}`, rest === undefined ? undefined : JSON.stringify({ subnet: rest.subnet, until: rest.until }));
  }

  takeMigrationId(): string {
    const id = this.nextId;
    this.write(NEXT_ID, String(id + 1));
    return String(id);
  }

  override setAside(hoa: string): void {
    super.setAside(hoa);
    for (const table of TABLES) this.raw.delete(`${table}/${hoa}`);
  }

  transaction<T>(write: () => T): T {
    if (this.batch) return write(); // nested: part of the outer one
    this.mustLead();
    const ops: Op[] = [];
    this.batch = ops;
    try {
      return write();
    } finally {
      this.batch = undefined;
      if (ops.length > 0) this.enqueue(ops);
    }
  }

  flush(): Promise<void> {
    return this.committing.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  // ---------------------------------------------------------------------------------------

  private mustLead(): void {
    if (this.failure) throw new Error(`an earlier write did not reach etcd (${this.failure.message}); writes wait for the leadership to be taken again`);
    if (!this.writer) throw new Error('this member is not the migration leader');
    if (this.queuedOps >= MAX_QUEUED_OPS) throw new Error(`${this.queuedOps} writes are waiting for etcd already`);
  }

  private write(key: string, value: string | undefined): void {
    this.mustLead();
    this.apply(key, value, false);
    if (this.batch) this.batch.push({ key, value });
    else this.enqueue([{ key, value }]);
  }

  private enqueue(ops: Op[]): void {
    this.queued.push({ ops, writer: this.writer! });
    this.queuedOps += ops.length;
    this.committing = this.committing.then(() => this.commitQueued());
  }

  /** Commits every transaction queued (up to MAX_OPS_PER_COMMIT operations) in one etcd transaction guarded by the term. */
  private async commitQueued(): Promise<void> {
    if (this.queued.length === 0) return;
    const { writer } = this.queued[0]!;
    const ops: Op[] = [];
    while (this.queued[0]?.writer === writer && (ops.length === 0 || ops.length + this.queued[0].ops.length <= MAX_OPS_PER_COMMIT)) ops.push(...this.queued.shift()!.ops);
    this.queuedOps -= ops.length;
    if (this.failure) return;
    // etcd refuses a transaction that names a key twice: the last write of each key is what lands.
    const last = new Map(ops.map((op) => [op.key, op.value]));
    try {
      const res = await commitGuarded(this.client, writer, new Map([...last].map(([key, value]) => [this.root + key, value])));
      if (!res.succeeded) return this.fail(new Error(`the migration leadership is no longer this member's (term ${writer.term})`));
      this.committedRevision = BigInt(res.header.revision);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.writer = undefined;
    this.queued.length = 0;
    this.queuedOps = 0;
    this.log.error('a write of the migration state did not reach etcd: this member writes nothing more until it leads again', { error: e.message });
    this.failedSubject.next(e);
    // Memory holds writes etcd does not: made what etcd holds again (a follower plans from it; a leader reads it again anyway).
    void this.committing.then(() => this.resync()).catch((r: Error) => this.log.warn('the migration state could not be read again from etcd', { error: r.message }));
  }

  /** A key as etcd holds it, from the watch or a resync; nothing happens if memory already holds that text. */
  private observe(kv: IKeyValue, value: string | undefined): void {
    this.apply(kv.key.toString().slice(this.root.length), value, true);
  }

  /** Puts `key`'s new text into memory (parsed); `remote`: written by another member, so emitted on `remote$`. */
  private apply(key: string, value: string | undefined, remote: boolean): void {
    if (this.raw.get(key) === value) return;
    if (key === NEXT_ID) {
      if (value !== undefined) this.raw.set(key, value);
      this.nextId = Math.max(this.nextId, Number(value ?? 1) || 1);
      return;
    }
    const [table, hoa] = key.split('/') as [Table, string];
    if (!TABLES.includes(table) || hoa === undefined) return;
    if (value === undefined) {
      this.raw.delete(key);
      this.forget(table, hoa);
    } else {
      const why = this.parse(table, hoa, value);
      if (why !== undefined) {
        const known = this.unreadable.findIndex((r) => r.table === table && r.hoa === hoa);
        if (known >= 0) this.unreadable.splice(known, 1);
        if (this.unreadable.length >= MAX_UNREADABLE) this.unreadable.shift();
        this.unreadable.push({ table, hoa, why });
        this.log.warn('stored row skipped', { table, hoa, why });
        return;
      }
      this.raw.set(key, value);
    }
    // A finished migration (keyed by its id) and a resting CoA change no VM's plan.
    if (remote && table !== 'history' && table !== 'resting') this.remoteSubject.next(hoa);
  }

  /** Parses `value` into `table`'s map; why not, if it cannot be read. */
  private parse(table: Table, hoa: string, value: string): string | undefined {
    if (table === 'groups') {
      const id = Number(value);
      if (!Number.isInteger(id)) return `group id "${value}" is not a number`;
      this.groups.set(hoa, id);
      return undefined;
    }
    if (table === 'resting') {
      const rest = parseResting(value);
      if (typeof rest === 'string') return rest;
      this.restingCoas.set(hoa, rest);
      return undefined;
    }
    if (table === 'history') {
      const record = parseFlight(value);
      if (typeof record === 'string') return record;
      this.history.set(hoa, record);
      return undefined;
    }
    if (table === 'flights') {
      let stored: InFlight;
      try {
        stored = JSON.parse(value) as InFlight;
      } catch (e) {
        return `its record is not JSON: ${(e as Error).message}`;
      }
      const record = parseFlight(JSON.stringify(stored?.record));
      if (typeof record === 'string') return record;
      this.flights.set(hoa, { record, coaWasHeld: stored.coaWasHeld === true, deadline: Number(stored.deadline) });
      return undefined;
    }
    const b = parseBinding(value);
    if (typeof b === 'string') return b;
    this.setBinding(b);
    return undefined;
  }

  /** Drops `hoa`'s row of `table` from memory (a binding's deletion is emitted). */
  private forget(table: Table, hoa: string): void {
    if (table === 'groups') this.groups.delete(hoa);
    else if (table === 'flights') this.flights.delete(hoa);
    else if (table === 'history') this.history.delete(hoa);
    else if (table === 'resting') this.restingCoas.delete(hoa);
    else this.dropBinding(hoa);
  }
}

/** A resting CoA's text (`resting/<coa>`), or why it cannot be read. */
function parseResting(value: string): RestingCoa | string {
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    if (typeof v.subnet !== 'string' || typeof v.until !== 'number' || !Number.isFinite(v.until)) return 'a resting CoA needs a subnet and an until (epoch ms)';
    return { subnet: v.subnet, until: v.until };
  } catch (e) {
    return `its record is not JSON: ${(e as Error).message}`;
  }
}
