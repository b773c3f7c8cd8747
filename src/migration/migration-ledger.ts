import { Subject, type Observable } from 'rxjs';
import type { SwitchRef } from '../topology/events.js';
import type { MigrationRecord } from './binding-store.js';
import { MigrationError } from './migration-error.js';

export type MigrationEvent = { kind: 'migration'; migration: MigrationRecord } | { kind: 'announcement-refused'; mac: string; at: SwitchRef; reason: string };

/** A migration prepared and not yet switched over or undone. */
export interface Pending {
  record: MigrationRecord;
  timer: NodeJS.Timeout;
  /** The VM already held the CoA it migrates with: an undo must not release it. */
  coaWasHeld: boolean;
}

/**
 * Where every migration is in its life: pending (by HoA, each with its timeout), draining
 * after a switchover (the old Foreign switch still forwards its CoA onward), awaiting its VM's
 * first frame (`arrivals`, by MAC), and the records kept for the API: every one in flight and
 * the last `history` finished ones. Every change of a record is an event.
 */
export class MigrationLedger {
  readonly pending = new Map<string, Pending>();
  /** Switched over, waiting for every redirect to move, by HoA. */
  readonly draining = new Map<string, MigrationRecord>();
  /** Migrations whose `arrival` entry may still be on the switch, by the VM's MAC (one each: bounded by the VMs). */
  readonly arrivals = new Map<string, MigrationRecord>();
  private readonly records = new Map<string, MigrationRecord>();
  /** The ids of the finished migrations kept, oldest first. */
  private readonly finished: string[] = [];
  private readonly subject = new Subject<MigrationEvent>();
  readonly events$: Observable<MigrationEvent> = this.subject.asObservable();

  constructor(private readonly history: number) {}

  /** Copies: a caller never holds a record the ledger changes. */
  all(): MigrationRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  get(id: string): MigrationRecord | undefined {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }

  /** `record` pending for its VM, rolled back by `onTimeout` once `timeoutMs` passed; awaited at its new port. */
  pend(record: MigrationRecord, coaWasHeld: boolean, timeoutMs: number, onTimeout: () => void): void {
    const timer = setTimeout(onTimeout, Math.max(0, timeoutMs));
    timer.unref();
    this.pending.set(record.hoa, { record, timer, coaWasHeld });
    this.arrivals.set(record.mac, record);
  }

  /** No longer pending (switched over or undone): its timeout is cleared. */
  unpend(p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(p.record.hoa);
  }

  /** The migration `id`, if it is the one pending for its VM; a MigrationError (404, 409) otherwise. */
  pendingById(id: string): Pending {
    const record = this.records.get(id);
    const p = record && this.pending.get(record.hoa);
    if (p && p.record === record) return p;
    throw record ? new MigrationError(409, `migration ${id} is ${record.status}, not pending`) : new MigrationError(404, `no migration ${id}`);
  }

  remember(record: MigrationRecord): void {
    this.records.set(record.id, record);
    this.emit(record);
  }

  /** A migration finished: kept among the last `history` finished ones (the oldest goes first); those in flight always stay. */
  retire(record: MigrationRecord): void {
    this.finished.push(record.id);
    while (this.finished.length > this.history) this.records.delete(this.finished.shift()!);
  }

  /** The finished migrations a store kept (oldest first), as if each had just been retired here: a new leader shows them. */
  restoreFinished(records: readonly MigrationRecord[]): void {
    for (const r of records) {
      if (this.records.has(r.id)) continue;
      this.records.set(r.id, r);
      this.retire(r);
    }
  }

  emit(record: MigrationRecord): void {
    this.subject.next({ kind: 'migration', migration: structuredClone(record) });
  }

  refused(mac: string, at: SwitchRef, reason: string): void {
    this.subject.next({ kind: 'announcement-refused', mac, at, reason });
  }

  /**
   * Everything forgotten, no timeout left to fire: this member no longer leads the migrations
   * (a cluster's leadership moved). What it knew may be out of date by the time it leads again;
   * it then starts afresh from the store.
   */
  forgetAll(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.draining.clear();
    this.arrivals.clear();
    this.records.clear();
    this.finished.length = 0;
  }

  /** At stop: no timeout fires, no event follows. */
  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.subject.complete();
  }
}
