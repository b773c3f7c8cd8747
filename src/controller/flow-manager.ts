import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { Dpid } from './dpid.js';
import { emptyTables, type SwitchTables } from './flow-tables.js';
import type { OpenFlowServer } from './openflow-server.js';
import { SwitchReconciler } from './reconciler.js';

/** The desired tables of every switch, by datapath id; a switch that is absent gets the manager's default. */
export type DesiredState = ReadonlyMap<Dpid, SwitchTables>;

/**
 * Keeps one reconciler per connected switch and feeds it its part of each desired state the
 * planners produce. A switch that (re)connects is reconciled against what it really holds.
 */
export class FlowManager {
  private readonly reconcilers = new Map<Dpid, SwitchReconciler>();
  private desired: DesiredState = new Map();
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly desired$: Observable<DesiredState>,
    private readonly log: Logger,
    private readonly defaultTables: SwitchTables = emptyTables(),
  ) {}

  start(): void {
    this.subscriptions.push(
      this.openflow.switchUp$.subscribe(({ dpid, connection }) => {
        const r = new SwitchReconciler(connection, this.log);
        this.reconcilers.set(dpid, r);
        this.push(dpid, r);
      }),
      this.openflow.switchDown$.subscribe(({ dpid }) => this.reconcilers.delete(dpid)),
      this.desired$.subscribe((state) => {
        this.desired = state;
        for (const [dpid, r] of this.reconcilers) this.push(dpid, r);
      }),
    );
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** Resolves when every reconcile started so far has finished (successfully or not). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Every connected switch holds its latest desired tables (confirmed by barrier). */
  get inSync(): boolean {
    return [...this.reconcilers.values()].every((r) => r.inSync);
  }

  /** Flow-mod and group-mod messages sent so far, over all switches. */
  get sentMessages(): number {
    return [...this.reconcilers.values()].reduce((n, r) => n + r.sentMessages, 0);
  }

  private push(dpid: Dpid, r: SwitchReconciler): void {
    const p = r.setDesired(this.desired.get(dpid) ?? this.defaultTables).catch(() => {
      // Logged by the reconciler; the next desired state retries.
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
