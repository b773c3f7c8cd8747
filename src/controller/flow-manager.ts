import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { Dpid } from './dpid.js';
import { ConnectionClosedError } from './errors.js';
import type { SwitchTables } from './flow-tables.js';
import type { OpenFlowServer } from './openflow-server.js';
import { SwitchReconciler } from './reconciler.js';
import { PlanClock, SwitchPlan } from './switch-plan.js';
import type { WritableChannels } from './switch-roles.js';

/**
 * The desired tables of every switch: one plan per datapath id, made of named parts that
 * planners set. A switch nobody planned for gets the default parts (discovery, say). Every
 * change is stamped from one clock, and `changed$` says which switch's plan moved.
 */
export class PlanStore {
  private readonly clock = new PlanClock();
  private readonly plans = new Map<Dpid, SwitchPlan>();
  private readonly changedSubject = new Subject<Dpid>();
  readonly changed$: Observable<Dpid> = this.changedSubject.asObservable();

  constructor(private readonly defaults: (dpid: Dpid) => ReadonlyMap<string, SwitchTables> = () => new Map()) {}

  /** The plan of a switch (made from the defaults the first time it is asked for). */
  plan(dpid: Dpid): SwitchPlan {
    let p = this.plans.get(dpid);
    if (p === undefined) {
      p = new SwitchPlan(this.clock);
      for (const [part, tables] of this.defaults(dpid)) p.set(part, tables);
      this.plans.set(dpid, p);
    }
    return p;
  }

  /** Sets one part of a switch's plan (undefined removes it); returns the version that holds it. */
  set(dpid: Dpid, part: string, tables: SwitchTables | undefined): number {
    const p = this.plan(dpid);
    const before = p.version;
    const v = p.set(part, tables);
    if (v !== before) this.changedSubject.next(dpid);
    return v;
  }

  /** The latest version of any plan. */
  get version(): number {
    return this.clock.version;
  }

  /** The switches that have a plan. */
  dpids(): IterableIterator<Dpid> {
    return this.plans.keys();
  }

  /** Plans of switches nobody asked for again: forgotten (a switch the topology does not declare, gone). */
  forget(dpid: Dpid): void {
    this.plans.delete(dpid);
  }
}

/** One reconcile of one switch: its plan sent and confirmed (or not), and how long that took. */
export interface ReconcileRun {
  dpid: Dpid;
  ms: number;
  ok: boolean;
  /** The run read the switch back (an audit). */
  audit: boolean;
}

export interface FlowManagerOptions {
  /** Whether a switch that left keeps its plan (declared switches do; made-up dpids must not pile up). Default: yes. */
  keepPlan?: (dpid: Dpid) => boolean;
  /**
   * Resolves when a switch that just connected may be reconciled: once its plan is the one
   * it had before (a warm restart then rewrites nothing). Default: at once.
   */
  holdDown?: (dpid: Dpid) => Promise<void>;
  /** Every switch is read back and its drift repaired this often; 0 or absent: never by itself. */
  auditIntervalMs?: number;
  /** The switches this member may write to (in a cluster: those it masters, SwitchRoles); default: every connected one. */
  channels?: WritableChannels;
}

/**
 * Keeps one reconciler per connected switch on that switch's plan. A switch that
 * (re)connects is reconciled against what it really holds; after that, each change of its
 * plan is sent as the difference of the parts that changed. Callers can wait until a set of
 * switches holds a version (make-before-break needs "X and Y hold N, confirmed").
 */
export class FlowManager {
  private readonly reconcilers = new Map<Dpid, SwitchReconciler>();
  private readonly subscriptions: Subscription[] = [];
  /** Messages sent, and drift repaired, by reconcilers of connections that are gone. */
  private retiredMessages = 0;
  private retiredRepairs = 0;
  private auditTimer: NodeJS.Timeout | undefined;
  private readonly runsSubject = new Subject<ReconcileRun>();
  /** Every reconcile run of every switch, as it ends. */
  readonly runs$: Observable<ReconcileRun> = this.runsSubject.asObservable();

  constructor(
    private readonly openflow: OpenFlowServer,
    readonly plans: PlanStore,
    private readonly log: Logger,
    private readonly options: FlowManagerOptions = {},
  ) {}

  start(): void {
    this.scheduleAudit();
    this.subscriptions.push(
      (this.options.channels?.up$ ?? this.openflow.switchUp$).subscribe(({ dpid, connection }) => {
        this.retire(dpid, 'replaced by a new connection');
        const r = new SwitchReconciler(connection, this.plans.plan(dpid), this.log, this.options.holdDown?.(dpid), (run) => this.runsSubject.next({ dpid, ...run }));
        this.reconcilers.set(dpid, r);
        r.poke();
      }),
      ...(this.options.channels ? [this.options.channels.down$.subscribe(({ dpid, reason }) => this.retire(dpid, reason))] : []),
      this.openflow.switchDown$.subscribe(({ dpid, reason }) => {
        this.retire(dpid, reason);
        if (this.options.keepPlan?.(dpid) === false) this.plans.forget(dpid);
      }),
      this.plans.changed$.subscribe((dpid) => {
        const r = this.reconcilers.get(dpid);
        if (r) r.poke();
        else {
          const plan = this.plans.plan(dpid);
          plan.trim(plan.cursor); // nobody reads its journal now
        }
      }),
    );
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
  }

  /**
   * Every connected switch read back and put right where it drifted from what was installed
   * (see SwitchReconciler.audit); resolves with how many entries and groups were repaired.
   * Runs by itself every `auditIntervalMs` once started.
   */
  async audit(): Promise<number> {
    const found = await Promise.all([...this.reconcilers.values()].map((r) => r.audit()));
    return found.reduce((a, b) => a + b, 0);
  }

  private scheduleAudit(): void {
    const every = this.options.auditIntervalMs ?? 0;
    if (every <= 0) return;
    this.auditTimer = setTimeout(() => {
      // The next one is counted from the end of this one: audits of a slow switch never pile up.
      void this.audit().finally(() => this.auditTimer !== undefined && this.scheduleAudit());
    }, every);
    this.auditTimer.unref();
  }

  private retire(dpid: Dpid, reason: string): void {
    const r = this.reconcilers.get(dpid);
    if (!r) return;
    r.abort(reason);
    this.retiredMessages += r.sentMessages;
    this.retiredRepairs += r.driftRepaired;
    this.reconcilers.delete(dpid);
  }

  /**
   * Resolves when every one of `dpids` holds plan version `version` (or later), confirmed by
   * barrier. Rejects with the switch's OFPT_ERROR (BatchRejectedError) if its run fails, or
   * ConnectionClosedError if one is not connected or leaves first.
   */
  async confirmed(dpids: readonly Dpid[], version = this.plans.version): Promise<void> {
    await Promise.all(
      dpids.map((dpid) => {
        const r = this.reconcilers.get(dpid);
        return r ? r.waitFor(version) : Promise.reject(new ConnectionClosedError(`switch ${dpid} is not connected`));
      }),
    );
  }

  /** The switches this member writes to (a reconciler each): every connected one, or in a cluster those it masters. */
  writable(): Dpid[] {
    return [...this.reconcilers.keys()];
  }

  /** Those of `dpids` that do not hold plan version `version` yet (or are not connected). */
  unconfirmed(dpids: readonly Dpid[], version: number): Dpid[] {
    return dpids.filter((dpid) => !this.reconcilers.get(dpid)?.holds(version));
  }

  /** Resolves when every connected switch holds its latest plan (successfully or not: a failed run resolves too). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.reconcilers.keys()].map((dpid) => this.confirmed([dpid])));
  }

  /** Every connected switch holds its latest plan (confirmed by barrier). */
  /** Connected switches whose tables are not confirmed to hold their latest plan. */
  outOfSync(): Dpid[] {
    return [...this.reconcilers].filter(([, r]) => !r.inSync).map(([dpid]) => dpid);
  }

  get inSync(): boolean {
    return [...this.reconcilers.values()].every((r) => r.inSync);
  }

  /** Flow-mod and group-mod messages sent since start, over all switches and connections. */
  get sentMessages(): number {
    return [...this.reconcilers.values()].reduce((n, r) => n + r.sentMessages, this.retiredMessages);
  }

  /** Entries and groups found drifted by audits and repaired, since start. */
  get driftRepaired(): number {
    return [...this.reconcilers.values()].reduce((n, r) => n + r.driftRepaired, this.retiredRepairs);
  }
}
