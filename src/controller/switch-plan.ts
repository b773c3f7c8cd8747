import { concatWire, fromWire, sameWire, toWire, type SwitchTables, type WireTables } from './wire-tables.js';

/**
 * One switch's desired tables, as named parts: a planner's routes, one host's entries, the
 * discovery flows. A planner that changes one host replaces one part; the reconciler then
 * diffs that part alone, so the cost of a change does not grow with the size of the table.
 * Parts must not share a flow (same table, priority and match) or a group id.
 *
 * Parts are kept in wire form (WireTables): planners hand over objects, and a part set to
 * the same entries as before is no change at all (no version, nothing for the reconciler).
 *
 * Every change is stamped with a version from a clock shared by all plans, so that a caller
 * can wait until "switches X and Y hold version N" (FlowManager.confirmed).
 */
export class SwitchPlan {
  private readonly parts = new Map<string, WireTables>();
  /**
   * Parts changed, in order, with the version of each change; read by the reconciler, trimmed
   * behind it. Bounded: while no reconciler reads (the switch is away), the oldest half goes,
   * and a reader left behind reconciles the whole table instead.
   */
  private journal: Array<{ version: number; part: string }> = [];
  private journalStart = 0;
  /** The version of the latest change. */
  version = 0;
  /** Flow entries and groups over all parts (parts share none): what a table budget is held against. */
  private entryCount = 0;

  constructor(private readonly clock: PlanClock) {}

  /** One part, in wire form. */
  get(part: string): WireTables | undefined {
    return this.parts.get(part);
  }

  /** One part as objects again (for people and tests). */
  read(part: string): SwitchTables | undefined {
    const t = this.parts.get(part);
    return t && fromWire(t);
  }

  /** Sets (or with undefined, removes) one part. Returns the version of the change, or the current one when nothing changed. */
  set(part: string, tables: SwitchTables | undefined): number {
    const old = this.parts.get(part);
    const wire = tables && toWire(tables);
    if (wire === undefined ? old === undefined : old !== undefined && sameWire(old, wire)) return this.version;
    if (wire === undefined) this.parts.delete(part);
    else this.parts.set(part, wire);
    this.entryCount += sizeOf(wire) - sizeOf(old);
    this.version = this.clock.tick();
    this.journal.push({ version: this.version, part });
    if (this.journal.length > MAX_JOURNAL) this.trim(this.journalStart + MAX_JOURNAL / 2);
    return this.version;
  }

  /** How many flow entries and groups the switch should hold. */
  get entries(): number {
    return this.entryCount;
  }

  /** Every part, flattened: what the switch should hold. */
  all(): WireTables {
    return concatWire(this.parts.values());
  }

  partNames(): IterableIterator<string> {
    return this.parts.keys();
  }

  /** A position in the journal: what a reader has seen. */
  get cursor(): number {
    return this.journalStart + this.journal.length;
  }

  /** The parts changed after `cursor` (each once); undefined when the journal no longer reaches back that far. */
  changedSince(cursor: number): Set<string> | undefined {
    if (cursor < this.journalStart) return undefined;
    const from = cursor - this.journalStart;
    const out = new Set<string>();
    for (let i = from; i < this.journal.length; i++) out.add(this.journal[i]!.part);
    return out;
  }

  /** Forgets the journal before `cursor`: its only reader has seen it. */
  trim(cursor: number): void {
    const n = cursor - this.journalStart;
    if (n <= 0) return;
    this.journal = n >= this.journal.length ? [] : this.journal.slice(n);
    this.journalStart = cursor;
  }
}

const MAX_JOURNAL = 65_536;

/** The version clock all plans share. */
export class PlanClock {
  private now = 0;
  tick(): number {
    return ++this.now;
  }
  get version(): number {
    return this.now;
  }
}

const sizeOf = (t: WireTables | undefined): number => (t === undefined ? 0 : t.flowKeys.length + t.groupIds.length);
