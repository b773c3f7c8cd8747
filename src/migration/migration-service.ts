import type { Observable, Subscription } from 'rxjs';
import type { FlowManager, PlanStore } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PIPELINE, PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import { fabricContext, type FabricContext } from '../fabric/fabric-planner.js';
import type { Logger } from '../log/logger.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { PacketIn } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import type { SwitchRef, TopologyEvent } from '../topology/events.js';
import { GATEWAY_MAC } from '../topology/model.js';
import { networkOf, networksOf, type Network } from '../topology/networks.js';
import type { TopologyService } from '../topology/topology-service.js';
import { admit, type Admission, type MigrationRequest } from './admission.js';
import { ArrivalFrames } from './arrival-frames.js';
import { AnnouncementJudge } from './announcements.js';
import { isFinished, type Binding, type BindingStore, type MigrationMode, type MigrationRecord } from './binding-store.js';
import { LivenessProbe } from './liveness-probe.js';
import { MigrationError, unsaved } from './migration-error.js';
import { MigrationLedger, type MigrationEvent, type Pending } from './migration-ledger.js';
import { DEFAULT_MIGRATION_OPTIONS, type MigrationOptions } from './migration-options.js';
import { MigrationResources } from './migration-resources.js';
import { ArpAnswerParts } from './arp-answers.js';
import { Follower } from './follower.js';
import { byBarrier, type PartConfirmer } from './part-confirmer.js';
import { ProxyArp } from './proxy-arp.js';
import { restoreMigrations } from './restore.js';
import { declaredIp6 } from './address-family.js';
import { capacityOf, type SwitchCapacity } from './capacity.js';
import { modeWithinBudget, provisionalPlacements, tableBudgets } from './table-budget.js';
import { placementOf, type PartWait, VmParts } from './vm-parts.js';

/** A migration request's wait for its switches' barriers: under the REST API's 10 s request timeout, so the answer says which switch did not confirm. */
const CONFIRM_TIMEOUT_MS = 8000;

/** `p`, or a rejection with `why()` once `ms` have passed. */
function deadline<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why())), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Cross-subnet live migration, the imperative shell around the pure planner: it admits a
 * request (`admission.ts`), takes its CoA and bicast groups (`migration-resources.ts`),
 * prepares and confirms by barrier (make-before-break: each VM's part, `vm-parts.ts`),
 * switches over when the VM is seen or the cloud manager says so, rolls back on timeout,
 * records every step (`migration-ledger.ts`), judges announcements (`announcements.ts`),
 * answers proxy ARP in the switch (`arp-answers.ts`, the planner's arp entries) and what the
 * switch cannot (`proxy-arp.ts`).
 */
export class MigrationService {
  private readonly ctx: FabricContext | undefined;
  private readonly networks: Network[];
  private resources: MigrationResources;
  private readonly dpidOf: Map<string, string>;
  private readonly ledger: MigrationLedger;
  private readonly parts: VmParts | undefined;
  private readonly judge: AnnouncementJudge;
  private stopped = false;
  private started = false;
  /** Whether this member writes the migration state (always, alone; in a cluster, the elected migration leader). */
  private leading = true;
  private readonly follower: Follower;
  private readonly subscriptions: Subscription[] = [];
  private readonly limitedLog: RateLimitedLog;
  private readonly proxyArp: ProxyArp;
  private readonly arpAnswers: ArpAnswerParts;
  private removeProcessor: (() => void) | undefined;
  private replanTimer: NodeJS.Timeout | undefined;
  /** How long the last re-plan of every VM took. */
  private lastFlushMs = 0;
  /** Announcements that moved nothing (spoofed, or refused by policy). */
  refusedAnnouncements = 0;
  readonly events$: Observable<MigrationEvent>;
  private readonly arrivals: ArrivalFrames;

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly plans: PlanStore,
    flows: FlowManager,
    readonly bindings: BindingStore,
    private readonly log: Logger,
    readonly options: MigrationOptions = DEFAULT_MIGRATION_OPTIONS,
    private readonly confirmer: PartConfirmer = byBarrier(flows),
  ) {
    const declared = topology.declared;
    this.ctx = declared && fabricContext(declared);
    this.networks = declared ? networksOf(declared).filter((n) => !n.external) : [];
    this.resources = new MigrationResources(declared?.subnets ?? [], options.coaRestMs);
    this.dpidOf = new Map((declared?.switches ?? []).map((s) => [s.name, s.dpid]));
    this.parts = this.ctx && new VmParts(plans, this.ctx, this.dpidOf);
    this.ledger = new MigrationLedger(options.history);
    this.events$ = this.ledger.events$;
    this.limitedLog = new RateLimitedLog(log);
    // What a migration ended as, and each step after (the old entries removed), kept by the store: a restart or a new leader shows the last few.
    this.ledger.events$.subscribe((e) => {
      // Only the leader writes (a step confirmed after the leadership moved is the next leader's to tell).
      if (e.kind === 'migration' && isFinished(e.migration) && this.leading) this.keepFinished(e.migration);
    });
    this.arrivals = new ArrivalFrames(
      openflow,
      (dpid) => topology.nameOf(dpid),
      (mac) => (this.leading ? this.ledger.arrivals.get(mac) : this.follower.awaited(mac)),
      (record) => (this.leading ? this.ledger.pending.get(record.hoa)?.record === record && this.seen(record.hoa) : this.follower.arrived(record)),
      (hoa) => { const t = topology.declared; return t && declaredIp6(t, hoa); },
    );
    this.proxyArp = new ProxyArp(openflow, topology, bindings, this.networks, this.dpidOf);
    this.arpAnswers = new ArpAnswerParts(plans, this.networks, this.dpidOf);
    this.follower = new Follower({
      bindings,
      relocate: (mac, hoa, at, roaming) => void topology.relocateHost(mac, hoa, at, roaming),
      announceAtHome: (subnet, hoa, mac) => this.proxyArp.announceAtHome(subnet, hoa, mac),
      replan: (hoa) => void this.replan(hoa),
    });
    this.judge = new AnnouncementJudge(
      {
        // A follower knows the migrations in flight from the store: a RARP at the port one names, at a switch it masters, is that VM arriving.
        pendingTo: (hoa) => (this.leading ? this.ledger.pending.get(hoa)?.record.to : this.follower.stateOf(hoa).pending?.to),
        trigger: options.trigger,
        declared: (mac, hoa) => topology.declared?.hosts.some((h) => h.mac === mac && h.ip === hoa) ?? false,
        boundMac: (hoa) => bindings.get(hoa)?.mac,
        otherHostAt: (at, mac) => {
          const other = topology.hostList().find((h) => h.switch === at.switch && h.port === at.port && h.mac !== mac);
          return other && (other.name ?? other.mac);
        },
        gatewayOf: (hoa) => this.homeOf(hoa).gateway,
        stopped: () => this.stopped,
        leads: () => this.leading,
      },
      new LivenessProbe(openflow, topology),
      {
        seen: (hoa) => (this.leading ? this.seen(hoa) : this.followerSaw(hoa)),
        believe: (mac, hoa, at) => this.believe(mac, hoa, at),
        refuse: (mac, at, reason) => this.refuseAnnouncement(mac, at, reason),
      },
      log,
    );
  }

  start(): void {
    if (!this.ctx) return;
    this.started = true;
    if (this.leading) this.restore();
    else this.follower.begin();
    this.subscriptions.push(
      ...(this.bindings.remote$ ? [this.bindings.remote$.subscribe((hoa) => this.leading || this.follower.changed(hoa))] : []),
      // A follower saw a VM arrive at a switch it masters: the leader switches it over, if that migration is still the one pending.
      ...(this.bindings.arrivals$ ? [this.bindings.arrivals$.subscribe(({ hoa, id }) => this.leading && this.ledger.pending.get(hoa)?.record.id === id && this.seen(hoa))] : []),
      // Replays every binding first: the set is whole before the first packet-in.
      this.bindings.changes$.subscribe((c) => {
        this.proxyArp.track(c.kind, c.binding);
        this.arpAnswers.binding(c.kind, c.binding);
      }),
      this.topology.events$.subscribe((e) => {
        this.arpAnswers.topology(e);
        this.onTopology(e);
      }),
      // New links, new uplinks for the bicast and the redirects: coalesced, as switches come and go by the dozen.
      this.topology.graph$.subscribe(() => {
        // Never more often than a re-plan of every VM takes: with many thousands, switches coming back must still get a turn.
        this.replanTimer ??= setTimeout(() => this.flush(), Math.max(this.options.coalesceMs ?? 20, this.lastFlushMs));
      }),
    );
    this.removeProcessor = this.openflow.packetProcessors.add('migration-arp', PROCESSOR_PRIORITY.migration, (dpid, m) => this.packetIn(dpid, m));
  }

  /**
   * This member writes the migration state from now on (a cluster's leadership came to it, and
   * the store holds everything the leaders before wrote): the migrations in flight are taken
   * up where they are, as after a restart, and finished or rolled back by their deadline.
   */
  lead(): void {
    if (this.leading) return;
    this.leading = true;
    this.follower.end();
    if (!this.started) return;
    this.resources = new MigrationResources(this.topology.declared?.subnets ?? [], this.options.coaRestMs);
    this.restore();
    this.log.info('leading the migrations', { bindings: this.bindings.all().length, inFlight: this.ledger.pending.size });
  }

  /**
   * This member stops writing (the leadership moved, or is in doubt): no timer of a migration
   * fires here any more, and every VM is planned from what the leader writes.
   */
  follow(): void {
    if (!this.leading) return;
    this.leading = false;
    this.ledger.forgetAll();
    if (this.started) this.follower.begin();
  }

  private keepFinished(record: MigrationRecord): void {
    try {
      this.bindings.keepFinished(record, this.options.history);
    } catch (e) {
      this.limitedLog.write('error', 'history-not-saved', 'a finished migration was not saved (the API shows it until this process stops)', { id: record.id, error: (e as Error).message });
    }
  }

  private restore(): void {
    this.ledger.restoreFinished(this.bindings.finished());
    restoreMigrations({
      bindings: this.bindings,
      resources: this.resources,
      ledger: this.ledger,
      networks: this.networks,
      switches: new Set(this.dpidOf.keys()),
      log: this.log,
      relocate: (b) => this.topology.relocateHost(b.mac, b.hoa, { switch: b.switch, port: b.port }, true),
      pend: (record, coaWasHeld, timeoutMs) => this.pend(record, coaWasHeld, timeoutMs),
      replan: (hoa) => this.replan(hoa),
      confirm: (wait, record) => this.confirm(wait, record, 'tables confirmed'),
      save: (write, hoa) => this.save(write, hoa),
    });
  }

  /** Re-plans every VM's part for the current links now, if a link change is waiting for its coalescing timer. */
  flush(): void {
    if (this.replanTimer === undefined) return;
    clearTimeout(this.replanTimer);
    this.replanTimer = undefined;
    const began = performance.now();
    const flights = this.leading ? this.ledger.pending.keys() : this.bindings.inFlight().map((f) => f.record.hoa);
    for (const hoa of new Set([...this.bindings.all().map((b) => b.hoa), ...flights])) this.replan(hoa);
    this.lastFlushMs = performance.now() - began;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.replanTimer);
    for (const s of this.subscriptions) s.unsubscribe();
    this.removeProcessor?.();
    this.limitedLog.flushAll();
    this.ledger.close();
  }

  /** Frames of arriving VMs sent on through the tables after the controller saw them. */
  get reinjected(): number {
    return this.arrivals.reinjected;
  }

  /** Migrations holding bicast group ids now: what a refused or finished migration must give back. */
  get bicastGroupsInUse(): number {
    return this.resources.groups.used;
  }

  /** Each switch with a table budget: what is planned on it, and how many more bindings of each mode it fits (capacity.ts). */
  capacity(): SwitchCapacity[] {
    const declared = this.topology.declared;
    if (!declared || !this.ctx) return [];
    return capacityOf(this.ctx, this.topology.graph(), tableBudgets(declared), (sw) => {
      const dpid = this.dpidOf.get(sw);
      return dpid === undefined ? 0 : this.plans.plan(dpid).entries;
    });
  }

  /** CoAs still free in `subnet`'s pool. */
  coaFree(subnet: string): number {
    return this.resources.pools.free(subnet);
  }

  /** Each subnet's CoA pool: its size and how many are held (metrics). */
  coaUse(): Array<{ subnet: string; size: number; held: number }> {
    return this.resources.pools.use();
  }

  migrations(): MigrationRecord[] {
    return this.ledger.all();
  }

  migration(id: string): MigrationRecord | undefined {
    return this.ledger.get(id);
  }

  /**
   * Make-before-break: allocates the CoA, installs the Foreign switch's entries and the
   * bicast, waits until every switch involved confirms them by barrier, and resolves with
   * the migration, `prepared`. The switchover comes when the VM is seen there or on complete().
   */
  async migrate(req: MigrationRequest): Promise<MigrationRecord> {
    this.mustLead();
    const record = this.begin(req, 'orchestrated');
    try {
      const wait = this.replan(record.hoa);
      // Answered before the API's own request timeout, naming the switches that did not confirm (a hung switch is not "the request did not arrive").
      await deadline(this.confirm(wait, record, 'tables confirmed'), this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS, () => {
        const late = this.confirmer.unconfirmed(wait).map((d) => this.topology.nameOf(d));
        return `${late.join(', ') || 'the switches'} did not confirm the tables within ${this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS} ms`;
      });
    } catch (e) {
      // The switches' errors name datapath ids: the operator knows them by name.
      const why = (e as Error).message.replace(/\b[0-9a-f]{16}\b/g, (dpid) => this.topology.nameOf(dpid));
      // Rolled back only if it is still this migration that is pending: one the VM completed meanwhile is answered as it is.
      if (this.rollback(record, 'failed', `tables not confirmed: ${why}`)) throw new MigrationError(503, `migration ${record.id} of ${record.hoa} rolled back: ${why}`);
    }
    if (record.status === 'preparing') record.status = 'prepared';
    // Ended before its tables were confirmed (a timeout shorter than the confirmation, a cancel): not prepared, and the answer says so.
    if (record.status === 'rolled-back' || record.status === 'cancelled' || record.status === 'failed') throw new MigrationError(409, `migration ${record.id} of ${record.hoa} was ${record.status} before its tables were confirmed: ${record.reason ?? ''}`);
    return this.saved(record);
  }

  /** The cloud manager says the VM runs at its new place: switch over now. Refusals throw at once; the answer waits for the state to be saved. */
  complete(id: string): Promise<MigrationRecord> {
    this.mustLead();
    const p = this.ledger.pendingById(id);
    this.switchover(p.record.hoa, 'completed by request');
    return this.saved(p.record);
  }

  cancel(id: string): Promise<MigrationRecord> {
    this.mustLead();
    const p = this.ledger.pendingById(id);
    this.rollback(p.record, 'cancelled', 'cancelled by request');
    return this.saved(p.record);
  }

  /** A VM that is gone: its binding, CoA and entries go, and the Home Network hears it is at its own MAC again. */
  deleteBinding(hoa: string): Promise<Binding> {
    this.mustLead();
    const b = this.bindings.get(hoa);
    if (!b) throw new MigrationError(404, `no binding for ${hoa}`);
    if (this.ledger.pending.has(hoa)) throw new MigrationError(409, `a migration of ${hoa} is in flight; cancel it first`);
    try {
      this.bindings.transaction(() => {
        this.bindings.delete(hoa);
        this.bindings.setGroupId(hoa, undefined);
      });
    } catch (e) {
      throw unsaved(e);
    }
    this.releaseCoa(b.subnet, b.coa, hoa);
    this.resources.groups.drop(hoa);
    this.replan(hoa);
    this.topology.relocateHost(b.mac, b.hoa, b.home, false);
    this.proxyArp.announceAtHome(b.homeSubnet, hoa, b.mac);
    this.log.info('binding deleted', { hoa });
    return this.saved(b);
  }

  /** Whether this member writes the migration state (the cluster's migration leader; always, alone). */
  get isLeader(): boolean {
    return this.leading;
  }

  private mustLead(): void {
    if (!this.leading) throw new MigrationError(503, 'this member is not the migration leader: ask the member GET /api/cluster names');
  }

  /** `value`, once every write so far is in the store (a clustered store commits behind); a 503 if one did not land. */
  private async saved<T>(value: T): Promise<T> {
    try {
      await this.bindings.flush();
    } catch (e) {
      throw unsaved(e);
    }
    return structuredClone(value);
  }

  // ---------------------------------------------------------------------------------------

  /** Admits a request and starts its migration (state `preparing`), or throws a MigrationError and changes nothing. */
  private begin(req: MigrationRequest, trigger: MigrationRecord['trigger']): MigrationRecord {
    const admitted = admit(req, {
      declared: this.topology.declared,
      networks: this.networks,
      hostByIp: (ip) => this.topology.hostByIp(ip),
      inFlight: (hoa) => this.ledger.pending.has(hoa),
      binding: (hoa) => this.bindings.get(hoa),
      defaultMode: this.options.mode,
    });
    const a = { ...admitted, mode: this.modeWithinBudget(admitted, req) };
    const taken = this.resources.take(a);
    const { coa, group } = taken;
    const now = Date.now();
    const record: MigrationRecord = {
      id: '', hoa: a.hoa, mac: a.mac, mode: a.mode, trigger, from: a.from,
      to: { switch: req.switch, port: req.port, coa, subnet: a.target.name }, status: 'preparing', timeline: [{ step: trigger === 'orchestrated' ? 'requested' : 'announcement seen', at: now }],
    };
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    try {
      // Committed before anything reaches a switch: a restart finds the migration and resumes or rolls it back.
      this.bindings.transaction(() => {
        record.id = this.bindings.takeMigrationId();
        if (!taken.hadGroup) this.bindings.setGroupId(a.hoa, group);
        if (coa !== undefined) {
          this.bindings.put({
            hoa: a.hoa, mac: a.mac, homeSubnet: a.home.name, home: a.declaredAt, subnet: a.target.name, coa,
            switch: req.switch, port: req.port, mode: a.binding?.mode ?? a.mode, state: 'prepared', createdAt: a.binding?.createdAt ?? now, updatedAt: now,
          });
        }
        this.bindings.setInFlight(a.hoa, { record, coaWasHeld: a.coaWasHeld, deadline: now + timeoutMs });
        // A CoA handed out again after its rest: its saved rest goes.
        if (coa !== undefined && this.bindings.isResting(coa)) this.bindings.setResting(coa, undefined);
      });
    } catch (e) {
      taken.giveBack();
      throw unsaved(e);
    }
    this.pend(record, a.coaWasHeld, timeoutMs);
    this.ledger.remember(record);
    this.log.info('migration prepared', { id: record.id, hoa: a.hoa, from: `${a.from.switch}:${a.from.port}`, to: `${req.switch}:${req.port}`, mode: a.mode, coa });
    return record;
  }

  /** The mode `a` takes within every switch's table budget (table-budget.ts); a 409 when none fits. */
  private modeWithinBudget(a: Admission, req: MigrationRequest): MigrationMode {
    const declared = this.topology.declared;
    const budgets = tableBudgets(declared);
    if (!this.parts || !declared || budgets.size === 0) return a.mode;
    const parts = this.parts;
    const chained = a.from.coa !== undefined;
    // A chained move keeps its binding's mode (vm-parts.ts): that is the one held to the budgets, and it cannot change.
    const start = chained ? (a.binding?.mode ?? a.mode) : a.mode;
    const coa = a.target.name === a.home.name ? undefined : a.coaWasHeld ? a.binding?.coa : declared.subnets.find((s) => s.name === a.target.name)?.coaPool.first;
    const graph = this.topology.graph();
    const group = PIPELINE.migration.groups.min;
    const mode = modeWithinBudget(a.hoa, start, req.mode !== undefined || chained, (m) => parts.overBudget(a.hoa, provisionalPlacements(a, req, m, coa, group), graph, (sw) => budgets.get(sw)));
    if (mode !== start) this.log.info('migration takes a cheaper mode within the table budgets', { hoa: a.hoa, asked: start, mode });
    return mode;
  }

  private pend(record: MigrationRecord, coaWasHeld: boolean, timeoutMs: number): void {
    this.ledger.pend(record, coaWasHeld, timeoutMs, () => this.rollback(record, 'rolled-back', `not completed within its timeout (${timeoutMs} ms)`));
  }

  /**
   * The VM is at its new place, in two barrier-confirmed steps so that no packet meets a
   * missing entry between switches: first every redirect moves to the new place while the
   * old Foreign switch still forwards what reaches its CoA onward ("redirects moved"); then
   * the old Foreign switch's entries and its CoA go ("old entries removed").
   */
  private switchover(hoa: string, why: string): void {
    const p = this.ledger.pending.get(hoa);
    if (!p) return;
    const { record } = p;
    const wasHome = record.from.coa === undefined;
    const returning = record.to.coa === undefined;
    const binding = this.bindings.get(hoa);
    try {
      this.bindings.transaction(() => {
        this.bindings.setInFlight(hoa, undefined);
        if (returning) this.bindings.delete(hoa);
        else if (binding) this.bindings.put({ ...binding, state: 'active', mode: record.mode, updatedAt: Date.now() });
      });
    } catch (e) {
      throw unsaved(e);
    }
    this.ledger.unpend(p);
    record.timeline.push({ step: why, at: Date.now() });
    if (!wasHome) this.ledger.draining.set(hoa, record);
    // The fabric delivers to the VM where it now is (its host entries follow the host).
    const moved = this.topology.relocateHost(record.mac, hoa, { switch: record.to.switch, port: record.to.port }, !returning);
    if (moved?.kind === 'refused') this.log.warn('migrated VM not relocated', { hoa, reason: moved.reason });
    const redirects = this.replan(hoa);
    if (wasHome || returning) this.proxyArp.announceAtHome(this.homeOf(hoa).name, hoa, returning ? record.mac : GATEWAY_MAC);
    record.status = 'completed';
    this.ledger.retire(record);
    this.ledger.emit(record);
    const step1 = wasHome ? Promise.resolve() : this.confirm(redirects, record, 'redirects moved');
    void step1
      .catch((e: Error) => this.log.warn('redirects not confirmed', { hoa, error: e.message }))
      .then(() => (this.stopped ? undefined : this.drained(p)))
      .catch((e: Error) => this.log.warn('switchover not confirmed', { hoa, error: e.message }));
    this.log.info('migration completed', { id: record.id, hoa, at: `${record.to.switch}:${record.to.port}`, why });
  }

  /** The switchover's second step: every redirect moved, the old place's CoA and entries go. */
  private drained({ record, coaWasHeld }: Pending): Promise<void> {
    const { hoa, from } = record;
    if (this.ledger.draining.get(hoa) === record) this.ledger.draining.delete(hoa);
    const user = this.ledger.pending.get(hoa)?.record.to.coa ?? this.bindings.get(hoa)?.coa;
    if (from.coa !== undefined && !coaWasHeld && from.coa !== user) this.releaseCoa(from.subnet, from.coa, hoa);
    if (!this.ledger.pending.has(hoa)) this.freeGroup(hoa);
    return this.confirm(this.replan(hoa), record, 'old entries removed').finally(() => {
      if (this.ledger.arrivals.get(record.mac) === record) this.ledger.arrivals.delete(record.mac);
    });
  }

  /**
   * Undoes a prepared migration: the CoA it took, the bicast and the new Foreign entries.
   * Asked for (cancel), a state that cannot be saved refuses it (503); on a timeout or a
   * failure it goes on in memory (a restart finds the migration past its deadline and rolls
   * it back again). Rolls `record` back only if it is the migration pending for its VM; says
   * whether it did.
   */
  private rollback(record: MigrationRecord, status: 'rolled-back' | 'cancelled' | 'failed', reason: string): boolean {
    const hoa = record.hoa;
    const p = this.ledger.pending.get(hoa);
    if (p?.record !== record) return false;
    const binding = this.bindings.get(hoa);
    const draining = this.ledger.draining.has(hoa);
    try {
      this.bindings.transaction(() => {
        this.bindings.setInFlight(hoa, undefined);
        if (!draining) this.bindings.setGroupId(hoa, undefined);
        if (record.from.coa === undefined) {
          if (binding) this.bindings.delete(hoa);
        } else if (binding) {
          this.bindings.put({ ...binding, subnet: record.from.subnet, coa: record.from.coa, switch: record.from.switch, port: record.from.port, state: 'active', updatedAt: Date.now() });
        }
      });
    } catch (e) {
      if (status === 'cancelled') throw unsaved(e);
      this.log.error('migration state not saved', { hoa, error: (e as Error).message });
    }
    this.ledger.unpend(p);
    this.ledger.arrivals.delete(record.mac);
    if (record.to.coa !== undefined && !p.coaWasHeld) this.releaseCoa(record.to.subnet, record.to.coa, hoa);
    if (!draining) this.resources.groups.drop(hoa);
    this.replan(hoa);
    record.status = status;
    record.reason = reason;
    record.timeline.push({ step: status, at: Date.now() });
    this.ledger.retire(record);
    this.ledger.emit(record);
    this.log.warn(`migration ${status}`, { id: record.id, hoa, reason });
    return true;
  }

  /** Sets the VM's part on every switch from its binding and pending migration; returns what to wait for. */
  private replan(hoa: string): PartWait {
    if (!this.parts) return { version: this.plans.version, dpids: [] };
    const home = networkOf(this.networks, hoa);
    const written = this.leading ? { pending: this.ledger.pending.get(hoa)?.record, group: this.resources.groups.get(hoa) } : this.follower.stateOf(hoa);
    const state = { hoa, ...written, binding: this.bindings.get(hoa), draining: this.ledger.draining.get(hoa) };
    return this.parts.set(hoa, home && placementOf({ ...state, home }), this.topology.graph());
  }

  private async confirm(wait: PartWait, record: MigrationRecord, step: string): Promise<void> {
    await this.confirmer.confirmed(wait);
    record.timeline.push({ step, at: Date.now() });
    this.ledger.emit(record);
  }

  private onTopology(e: TopologyEvent): void {
    if (e.kind === 'host-seen-elsewhere') this.judge.judge(e.mac, e.ip, e.at, e.from);
  }

  /** The VM left its old place and is at `at`: a migration of its own (in the binding's mode, else the default), or a move inside its Foreign switch. */
  private believe(mac: string, hoa: string, at: SwitchRef): void {
    const b = this.bindings.get(hoa);
    if (b?.state === 'active' && b.switch === at.switch) {
      if (!this.save(() => this.bindings.put({ ...b, port: at.port, updatedAt: Date.now() }), hoa)) return;
      this.topology.relocateHost(mac, hoa, at, true);
      this.replan(hoa);
      this.log.info('migrated VM moved inside its Foreign switch', { hoa, switch: at.switch, port: at.port });
      return;
    }
    try {
      // An announcement names no mode: the binding's own if it has one, else the controller's default (--migration-mode).
      this.begin({ hoa, switch: at.switch, port: at.port, mode: b?.mode ?? this.options.mode }, 'announced');
      this.switchover(hoa, 'switched over on the announcement');
    } catch (e) {
      if (!(e instanceof MigrationError)) throw e;
      this.refuseAnnouncement(mac, at, e.message);
    }
  }

  /** The VM showed up where its migration goes. If the state cannot be saved it stays prepared (the bicast reaches it) and its next frame tries again. */
  private seen(hoa: string): void {
    if (!this.leading) return;
    try {
      this.switchover(hoa, 'VM seen at its new port');
    } catch (e) {
      if (!(e instanceof MigrationError)) throw e;
      this.limitedLog.write('error', 'state-not-saved', `switchover of ${hoa} postponed: ${e.message}`, { hoa });
    }
  }

  /** A follower saw the VM of a migration in flight announce itself where it goes: the leader is told, as for its first IPv4 frame there. */
  private followerSaw(hoa: string): void {
    const pending = this.follower.stateOf(hoa).pending;
    if (pending) this.follower.arrived(pending);
  }

  private refuseAnnouncement(mac: string, at: SwitchRef, reason: string): void {
    this.refusedAnnouncements++;
    this.limitedLog.write('warn', 'announcement-refused', `announcement of ${mac} at ${at.switch}:${at.port} moves nothing: ${reason}`, { mac });
    this.ledger.refused(mac, at, reason);
  }

  /** Packet-ins the migration reads: an arriving VM's IPv4 frame (`arrival-frames.ts`), and ARP for the proxy. */
  private packetIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number' || m.data.length < 14) return;
    const ethType = m.data.readUInt16BE(12);
    if (ethType === ETH_TYPE.IPV4 || ethType === ETH_TYPE.IPV6) return this.arrivals.packetIn(dpid, inPort, m);
    this.proxyArp.packetIn(dpid, inPort, m);
  }

  private homeOf(hoa: string): Network {
    return networkOf(this.networks, hoa)!;
  }

  /** After a switchover: a failed write leaves a stale id on disk, dropped at the next start. */
  private freeGroup(hoa: string): void {
    if (!this.resources.groups.has(hoa)) return;
    this.resources.groups.drop(hoa);
    this.save(() => this.bindings.setGroupId(hoa, undefined), hoa);
  }

  /** A write nobody waits for an answer to: logged if it fails. */
  /** Gives `coa` back to its pool; the rest it starts there is saved, for a restart or a new leader to honour. */
  private releaseCoa(subnet: string, coa: string, hoa: string): void {
    if (!this.resources.pools.release(subnet, coa, hoa)) return;
    const until = this.resources.pools.restingUntil(subnet, coa);
    if (until !== undefined) this.save(() => this.bindings.setResting(coa, { subnet, until }), hoa);
  }

  private save(write: () => void, hoa: string): boolean {
    try {
      this.bindings.transaction(write);
      return true;
    } catch (e) {
      this.limitedLog.write('error', 'state-not-saved', `migration state of ${hoa} not saved: ${(e as Error).message}`, { hoa });
      return false;
    }
  }
}
