import { Subject, type Observable, type Subscription } from 'rxjs';
import type { FlowManager, PlanStore } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PIPELINE, PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import { fabricContext, type FabricContext } from '../fabric/fabric-planner.js';
import type { Logger } from '../log/logger.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { MessageType, PortNo, act, type PacketIn } from '../openflow/index.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { ipToInt } from '../topology/cidr.js';
import type { SwitchRef, TopologyEvent } from '../topology/events.js';
import { GATEWAY_MAC, linkPortsOf } from '../topology/model.js';
import { networkOf, networksOf, type Network } from '../topology/networks.js';
import { bindingMisfit, flightMisfit } from './stored-rows.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { Binding, BindingStore, MigrationMode, MigrationRecord } from './binding-store.js';
import { COA_REST_MS, CoaPools } from './coa-pools.js';
import { LivenessProbe } from './liveness-probe.js';
import { BicastGroups } from './bicast-groups.js';
import { ProxyArp } from './proxy-arp.js';
import { planMigration, type Place, type Placement } from './migration-planner.js';

export interface MigrationOptions {
  /** The mode of a migration that names none (and of every announced one). */
  mode: MigrationMode;
  /** A prepared migration not completed within this is rolled back. */
  timeoutMs: number;
  /**
   * 'orchestrated-only' (the default): a hypervisor's announcement alone never moves a VM; it
   * completes a migration the cloud manager asked for. 'any': it may, once the VM is known to
   * have left its old place (docs/security.md).
   */
  trigger: 'any' | 'orchestrated-only';
  /** Migrations kept for GET /api/migrations (the oldest finished ones go first). */
  history: number;
  /** How long a migration request waits for its switches to confirm the prepared tables (default CONFIRM_TIMEOUT_MS). */
  confirmTimeoutMs?: number;
  /** How long a released CoA rests before it is handed out again (default COA_REST_MS, 30 s). */
  coaRestMs?: number;
  /** How long link changes are gathered before every VM's part is re-planned (default 20 ms). */
  coalesceMs?: number;
}

export const DEFAULT_MIGRATION_OPTIONS: MigrationOptions = { mode: 'optimized', timeoutMs: 60_000, trigger: 'orchestrated-only', history: 256 };

/** A request the migration refuses, with the HTTP status that says why (400, 404, 409, 503). */
export class MigrationError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface MigrationRequest {
  hoa: string;
  switch: string;
  port: number;
  mode?: MigrationMode;
  /** Rolled back if not completed within this (default: --migration-timeout); a VM of several GiB takes minutes to migrate. */
  timeoutMs?: number;
}

export type MigrationEvent = { kind: 'migration'; migration: MigrationRecord } | { kind: 'announcement-refused'; mac: string; at: SwitchRef; reason: string };

const part = (hoa: string): string => `migration/${hoa}`;
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

/** Where an untagged IPv4 frame's source address ends. */
const IPV4_SOURCE_END = 30;

/**
 * Cross-subnet live migration, the imperative shell around the pure planner: bindings and
 * CoAs, make-before-break (prepare and confirm by barrier, switch over when the VM is seen
 * or the cloud manager says so, roll back on timeout), announcements (QEMU's RARP, Xen's
 * gratuitous ARP) as a trigger, proxy ARP answers and gratuitous ARPs for the Home Network.
 */
export class MigrationService {
  private readonly ctx: FabricContext | undefined;
  private readonly networks: Network[];
  private readonly pools: CoaPools;
  private readonly dpidOf: Map<string, string>;
  private readonly pending = new Map<string, { record: MigrationRecord; timer: NodeJS.Timeout; coaWasHeld: boolean }>();
  /** Every migration kept, by id: those in flight, and the last `history` finished ones (their ids in `finished`, oldest first). */
  private readonly records = new Map<string, MigrationRecord>();
  private readonly finished: string[] = [];
  /** Switched over, waiting for every redirect to move: the old Foreign switch still forwards its CoA onward. */
  private readonly draining = new Map<string, MigrationRecord>();
  /** Migrations whose `arrival` entry may still be on the switch, by the VM's MAC (one each: bounded by the VMs). */
  private readonly arrivals = new Map<string, MigrationRecord>();
  private stopped = false;
  /** Which switches hold each VM's part now. */
  private readonly partOn = new Map<string, Set<string>>();
  /** Bicast group ids of the migrations in flight or draining. */
  private readonly groups = new BicastGroups(PIPELINE.migration.groups);
  private readonly subscriptions: Subscription[] = [];
  private readonly limitedLog: RateLimitedLog;
  private readonly proxyArp: ProxyArp;
  private readonly eventsSubject = new Subject<MigrationEvent>();
  private removeProcessor: (() => void) | undefined;
  private replanTimer: NodeJS.Timeout | undefined;
  /** How long the last re-plan of every VM took. */
  private lastFlushMs = 0;
  /** VMs whose old place is being asked whether they still run there, by HoA. */
  private readonly probing = new Set<string>();
  private readonly probe: LivenessProbe;
  /** Announcements that moved nothing (spoofed, or refused by policy). */
  refusedAnnouncements = 0;
  /** Frames of arriving VMs sent on through the tables after the controller saw them. */
  reinjected = 0;
  readonly events$: Observable<MigrationEvent> = this.eventsSubject.asObservable();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly plans: PlanStore,
    private readonly flows: FlowManager,
    readonly bindings: BindingStore,
    private readonly log: Logger,
    readonly options: MigrationOptions = DEFAULT_MIGRATION_OPTIONS,
  ) {
    const declared = topology.declared;
    this.ctx = declared && fabricContext(declared);
    this.networks = declared ? networksOf(declared).filter((n) => !n.external) : [];
    this.pools = new CoaPools(declared?.subnets ?? [], options.coaRestMs ?? COA_REST_MS);
    this.dpidOf = new Map((declared?.switches ?? []).map((s) => [s.name, s.dpid]));
    this.limitedLog = new RateLimitedLog(log);
    this.probe = new LivenessProbe(openflow, topology);
    this.proxyArp = new ProxyArp(openflow, topology, bindings, this.networks, this.dpidOf);
  }

  start(): void {
    if (!this.ctx) return;
    this.restore();
    this.subscriptions.push(
      // Replays every binding first: the set is whole before the first packet-in.
      this.bindings.changes$.subscribe((c) => this.proxyArp.track(c.kind, c.binding)),
      this.topology.events$.subscribe((e) => this.onTopology(e)),
      // New links, new uplinks for the bicast and the redirects: coalesced, as switches come and go by the dozen.
      this.topology.graph$.subscribe(() => {
        // Never more often than a re-plan of every VM takes: with many thousands, switches coming back must still get a turn.
        this.replanTimer ??= setTimeout(() => this.flush(), Math.max(this.options.coalesceMs ?? 20, this.lastFlushMs));
      }),
    );
    this.removeProcessor = this.openflow.packetProcessors.add('migration-arp', PROCESSOR_PRIORITY.migration, (dpid, m) => this.packetIn(dpid, m));
  }

  /** Re-plans every VM's part for the current links now, if a link change is waiting for its coalescing timer. */
  flush(): void {
    if (this.replanTimer === undefined) return;
    clearTimeout(this.replanTimer);
    this.replanTimer = undefined;
    const began = performance.now();
    for (const hoa of new Set([...this.bindings.all().map((b) => b.hoa), ...this.pending.keys()])) this.replan(hoa);
    this.lastFlushMs = performance.now() - began;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.replanTimer);
    for (const s of this.subscriptions) s.unsubscribe();
    this.removeProcessor?.();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.limitedLog.flushAll();
    this.eventsSubject.complete();
  }

  /** CoAs still free in `subnet`'s pool. */
  /** Bicast group pairs held now: what a refused or finished migration must give back. */
  get bicastGroupsInUse(): number {
    return this.groups.used;
  }

  coaFree(subnet: string): number {
    return this.pools.free(subnet);
  }

  /** Each subnet's CoA pool: its size and how many are held (metrics). */
  coaUse(): Array<{ subnet: string; size: number; held: number }> {
    return this.pools.use();
  }

  migrations(): MigrationRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  migration(id: string): MigrationRecord | undefined {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }

  /**
   * Make-before-break: allocates the CoA, installs the Foreign switch's entries and the
   * bicast, waits until every switch involved confirms them by barrier, and resolves with
   * the migration, `prepared`. The switchover comes when the VM is seen there or on complete().
   */
  async migrate(req: MigrationRequest): Promise<MigrationRecord> {
    const record = this.begin(req, 'orchestrated');
    try {
      const wait = this.replan(record.hoa);
      // Answered before the API's own request timeout, naming the switches that did not confirm (a hung switch is not "the request did not arrive").
      await deadline(this.confirm(wait, record, 'tables confirmed'), this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS, () => {
        const late = this.flows.unconfirmed(wait.dpids, wait.version).map((d) => this.topology.nameOf(d));
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
    return structuredClone(record);
  }

  /** The cloud manager says the VM runs at its new place: switch over now. */
  complete(id: string): MigrationRecord {
    const p = this.pendingById(id);
    this.switchover(p.record.hoa, 'completed by request');
    return structuredClone(p.record);
  }

  cancel(id: string): MigrationRecord {
    const p = this.pendingById(id);
    this.rollback(p.record, 'cancelled', 'cancelled by request');
    return structuredClone(p.record);
  }

  private pendingById(id: string): { record: MigrationRecord; timer: NodeJS.Timeout; coaWasHeld: boolean } {
    const record = this.records.get(id);
    const p = record && this.pending.get(record.hoa);
    if (p && p.record === record) return p;
    throw record ? new MigrationError(409, `migration ${id} is ${record.status}, not pending`) : new MigrationError(404, `no migration ${id}`);
  }

  /** A VM that is gone: its binding, CoA and entries go, and the Home Network hears it is at its own MAC again. */
  deleteBinding(hoa: string): Binding {
    const b = this.bindings.get(hoa);
    if (!b) throw new MigrationError(404, `no binding for ${hoa}`);
    if (this.pending.has(hoa)) throw new MigrationError(409, `a migration of ${hoa} is in flight; cancel it first`);
    try {
      this.bindings.transaction(() => {
        this.bindings.delete(hoa);
        this.bindings.setGroupId(hoa, undefined);
      });
    } catch (e) {
      throw unsaved(e);
    }
    this.pools.release(b.subnet, b.coa, hoa);
    this.dropGroup(hoa);
    this.replan(hoa);
    this.topology.relocateHost(b.mac, b.hoa, b.home, false);
    this.proxyArp.announceAtHome(b.homeSubnet, hoa, b.mac);
    this.log.info('binding deleted', { hoa });
    return b;
  }

  // ---------------------------------------------------------------------------------------

  /** Checks a request and starts its migration (state `preparing`), or throws a MigrationError and changes nothing. */
  private begin(req: MigrationRequest, trigger: MigrationRecord['trigger']): MigrationRecord {
    const declared = this.topology.declared;
    if (!declared) throw new MigrationError(400, 'migration needs a topology file');
    const host = this.topology.hostByIp(req.hoa);
    const home = networkOf(this.networks, req.hoa);
    if (!host || !home) throw new MigrationError(404, `no VM with address ${req.hoa}`);
    if (!declared.switches.some((s) => s.name === req.switch)) throw new MigrationError(404, `no switch named "${req.switch}"`);
    if (linkPortsOf(declared, req.switch).includes(req.port)) throw new MigrationError(400, `${req.switch}:${req.port} joins two switches; a VM attaches at a host port`);
    const target = this.networks.find((n) => n.switch === req.switch);
    if (!target) throw new MigrationError(400, `${req.switch} serves no subnet; a VM attaches at an access switch`);
    if (this.pending.has(req.hoa)) throw new MigrationError(409, `a migration of ${req.hoa} is already in flight`);
    const binding = this.bindings.get(req.hoa);
    const from: MigrationRecord['from'] = binding
      ? { switch: binding.switch, port: binding.port, coa: binding.coa, subnet: binding.subnet }
      : { switch: host.switch, port: host.port, coa: undefined, subnet: home.name };
    if (from.switch === req.switch && from.port === req.port) throw new MigrationError(409, `${req.hoa} is already at ${req.switch}:${req.port}`);
    if (from.switch === req.switch || (!binding && target.name === home.name)) {
      throw new MigrationError(409, `${req.hoa} is already in ${target.name}; a move inside a subnet is followed where the VM is seen, not migrated`);
    }
    // Home is where the topology file declares the VM: back in its Home Network it is at its declared port, or host learning would not take it there.
    if (binding && target.name === home.name && (binding.home.switch !== req.switch || binding.home.port !== req.port)) {
      throw new MigrationError(409, `${req.hoa} returns to ${home.name} at its declared port ${binding.home.switch}:${binding.home.port}, not ${req.switch}:${req.port}`);
    }
    const mode = req.mode ?? binding?.mode ?? this.options.mode;
    let coa: string | undefined;
    const coaWasHeld = binding?.subnet === target.name;
    const hadGroup = this.groups.has(req.hoa);
    const group = this.groupOf(req.hoa);
    // Refused: nothing taken stays taken.
    const untake = (): void => {
      if (!hadGroup) this.dropGroup(req.hoa);
      if (coa !== undefined && !coaWasHeld) this.pools.release(target.name, coa, req.hoa, false);
    };
    if (target.name !== home.name) {
      const got = this.pools.allocate(target.name, req.hoa);
      if ('error' in got) {
        untake();
        throw new MigrationError(409, got.error);
      }
      coa = got.coa;
    }
    const now = Date.now();
    const record: MigrationRecord = {
      id: '', hoa: req.hoa, mac: host.mac, mode, trigger, from,
      to: { switch: req.switch, port: req.port, coa, subnet: target.name }, status: 'preparing', timeline: [{ step: trigger === 'orchestrated' ? 'requested' : 'announcement seen', at: now }],
    };
    try {
      // Committed before anything reaches a switch: a restart finds the migration and resumes or rolls it back.
      this.bindings.transaction(() => {
        record.id = this.bindings.takeMigrationId();
        if (!hadGroup) this.bindings.setGroupId(req.hoa, group);
        if (coa !== undefined) {
          this.bindings.put({
            hoa: req.hoa, mac: host.mac, homeSubnet: home.name, home: binding?.home ?? { switch: host.switch, port: host.port }, subnet: target.name, coa,
            switch: req.switch, port: req.port, mode: binding?.mode ?? mode, state: 'prepared', createdAt: binding?.createdAt ?? now, updatedAt: now,
          });
        }
        this.bindings.setInFlight(req.hoa, { record, coaWasHeld, deadline: now + (req.timeoutMs ?? this.options.timeoutMs) });
      });
    } catch (e) {
      untake();
      throw unsaved(e);
    }
    this.pend(record, coaWasHeld, req.timeoutMs ?? this.options.timeoutMs);
    this.remember(record);
    this.log.info('migration prepared', { id: record.id, hoa: req.hoa, from: `${from.switch}:${from.port}`, to: `${req.switch}:${req.port}`, mode, coa });
    return record;
  }

  /**
   * The VM is at its new place, in two barrier-confirmed steps so that no packet meets a
   * missing entry between switches: first every redirect moves to the new place while the
   * old Foreign switch still forwards what reaches its CoA onward ("redirects moved"); then
   * the old Foreign switch's entries and its CoA go ("old entries removed").
   */
  private switchover(hoa: string, why: string): void {
    const p = this.pending.get(hoa);
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
    clearTimeout(p.timer);
    this.pending.delete(hoa);
    record.timeline.push({ step: why, at: Date.now() });
    if (!wasHome) this.draining.set(hoa, record);
    // The fabric delivers to the VM where it now is (its host entries follow the host).
    const moved = this.topology.relocateHost(record.mac, hoa, { switch: record.to.switch, port: record.to.port }, !returning);
    if (moved?.kind === 'refused') this.log.warn('migrated VM not relocated', { hoa, reason: moved.reason });
    const redirects = this.replan(hoa);
    if (wasHome || returning) this.proxyArp.announceAtHome(this.homeOf(hoa).name, hoa, returning ? record.mac : GATEWAY_MAC);
    record.status = 'completed';
    this.retire(record);
    this.emit(record);
    const drained = (): Promise<void> => {
      if (this.draining.get(hoa) === record) this.draining.delete(hoa);
      const { from } = record;
      const user = this.pending.get(hoa)?.record.to.coa ?? this.bindings.get(hoa)?.coa;
      if (from.coa !== undefined && !p.coaWasHeld && from.coa !== user) this.pools.release(from.subnet, from.coa, hoa);
      if (!this.pending.has(hoa)) this.freeGroup(hoa);
      return this.confirm(this.replan(hoa), record, 'old entries removed').finally(() => {
        if (this.arrivals.get(record.mac) === record) this.arrivals.delete(record.mac);
      });
    };
    const step1 = wasHome ? Promise.resolve() : this.confirm(redirects, record, 'redirects moved');
    void step1
      .catch((e: Error) => this.log.warn('redirects not confirmed', { hoa, error: e.message }))
      .then(() => (this.stopped ? undefined : drained()))
      .catch((e: Error) => this.log.warn('switchover not confirmed', { hoa, error: e.message }));
    this.log.info('migration completed', { id: record.id, hoa, at: `${record.to.switch}:${record.to.port}`, why });
  }

  /**
   * Undoes a prepared migration: the CoA it took, the bicast and the new Foreign entries.
   * Asked for (cancel), a state that cannot be saved refuses it (503); on a timeout or a
   * failure it goes on in memory (a restart finds the migration past its deadline and rolls
   * it back again).
   */
  /** Rolls `record` back if it is the migration pending for its VM; whether it did. */
  private rollback(record: MigrationRecord, status: 'rolled-back' | 'cancelled' | 'failed', reason: string): boolean {
    const hoa = record.hoa;
    const p = this.pending.get(hoa);
    if (p?.record !== record) return false;
    const binding = this.bindings.get(hoa);
    try {
      this.bindings.transaction(() => {
        this.bindings.setInFlight(hoa, undefined);
        if (!this.draining.has(hoa)) this.bindings.setGroupId(hoa, undefined);
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
    clearTimeout(p.timer);
    this.pending.delete(hoa);
    this.arrivals.delete(record.mac);
    if (record.to.coa !== undefined && !p.coaWasHeld) this.pools.release(record.to.subnet, record.to.coa, hoa);
    if (!this.draining.has(hoa)) this.dropGroup(hoa);
    this.replan(hoa);
    record.status = status;
    record.reason = reason;
    record.timeline.push({ step: status, at: Date.now() });
    this.retire(record);
    this.emit(record);
    this.log.warn(`migration ${status}`, { id: record.id, hoa, reason });
    return true;
  }

  /** Sets the VM's part on every switch from its binding and pending migration; returns what to wait for. */
  private replan(hoa: string): { version: number; dpids: string[] } {
    const placement = this.placement(hoa);
    const tables = placement && this.ctx ? planMigration(this.ctx, this.topology.graph(), placement) : new Map();
    const before = this.partOn.get(hoa) ?? new Set<string>();
    const after = new Set<string>();
    let version = this.plans.version;
    const name = part(hoa); // one string for every switch's part (100k bindings: millions of part names otherwise)
    for (const sw of new Set([...before, ...tables.keys()])) {
      const dpid = this.dpidOf.get(sw);
      if (dpid === undefined) continue;
      version = Math.max(version, this.plans.set(dpid, name, tables.get(sw)));
      if (tables.has(sw)) after.add(sw);
    }
    if (after.size > 0) this.partOn.set(hoa, after);
    else this.partOn.delete(hoa);
    const dpids = [...new Set([...before, ...after])].map((s) => this.dpidOf.get(s)).filter((d): d is string => d !== undefined);
    return { version, dpids };
  }

  private placement(hoa: string): Placement | undefined {
    const pending = this.pending.get(hoa)?.record;
    const binding = this.bindings.get(hoa);
    const group = this.groups.get(hoa);
    const drain = this.draining.get(hoa);
    const leaving = drain?.from.coa !== undefined ? { leaving: { ...strip(drain.from), coa: drain.from.coa } } : {};
    if (pending) {
      const { from, to } = pending;
      const mode = from.coa === undefined ? pending.mode : (binding?.mode ?? pending.mode);
      return { hoa, mac: pending.mac, home: this.homeOf(hoa), mode, at: strip(from), next: strip(to), group, ...leaving };
    }
    if (binding?.state === 'active') {
      return { hoa, mac: binding.mac, home: this.homeOf(hoa), mode: binding.mode, at: { switch: binding.switch, port: binding.port, coa: binding.coa }, group, ...leaving };
    }
    // Just back home: only the old Foreign switch's forwarding, until every redirect is gone.
    if (drain) return { hoa, mac: drain.mac, home: this.homeOf(hoa), mode: drain.mode, at: strip(drain.to), group, ...leaving };
    return undefined;
  }

  private async confirm(wait: { version: number; dpids: string[] }, record: MigrationRecord, step: string): Promise<void> {
    await this.flows.confirmed(wait.dpids, wait.version);
    record.timeline.push({ step, at: Date.now() });
    this.emit(record);
  }

  private onTopology(e: TopologyEvent): void {
    if (e.kind === 'host-seen-elsewhere') this.announced(e.mac, e.ip, e.at, e.from);
  }

  /**
   * A known VM, with its own address, seen where it is not bound (a RARP, a gratuitous ARP,
   * an ARP at a switch of another subnet, or at another port of its Foreign switch): the
   * switchover of a pending migration to exactly there; else, only with `--migrations any`,
   * a move of its own, once the VM is known to have left: see `announcementDoubt` and the
   * probe of its old place (docs/security.md, "When an announcement is believed").
   */
  private announced(mac: string, hoa: string, at: SwitchRef, from: SwitchRef): void {
    const pending = this.pending.get(hoa);
    if (pending) {
      if (pending.record.to.switch === at.switch && pending.record.to.port === at.port) this.seen(hoa);
      else this.refuseAnnouncement(mac, at, `a migration of ${hoa} to ${pending.record.to.switch}:${pending.record.to.port} is pending`);
      return;
    }
    if (this.options.trigger === 'orchestrated-only') return this.refuseAnnouncement(mac, at, 'announcements alone do not migrate VMs (--migrations orchestrated-only)');
    // QEMU repeats its RARP: the probe in flight answers them all.
    if (this.probing.has(hoa)) return;
    const doubt = this.announcementDoubt(mac, hoa, at);
    if (doubt !== undefined) return this.refuseAnnouncement(mac, at, doubt);
    this.probing.add(hoa);
    void this.probe.check(from, mac, hoa, this.homeOf(hoa).gateway).then((answer) => {
      this.probing.delete(hoa);
      if (this.stopped || this.pending.has(hoa)) return;
      if (answer === 'answered') return this.refuseAnnouncement(mac, at, `${hoa} answered at ${from.switch}:${from.port}: it runs there`);
      if (answer === 'unreachable') return this.refuseAnnouncement(mac, at, `${hoa} cannot be asked at ${from.switch}:${from.port} (its switch is not connected)`);
      this.believe(mac, hoa, at);
    }).catch((e: Error) => {
      // Never an unhandled rejection: the controller goes on, the operator reads why.
      this.probing.delete(hoa);
      this.log.error('announcement not handled', { mac, hoa, at: `${at.switch}:${at.port}`, error: e.message });
    });
  }

  /**
   * Why an announcement is not believed before its VM is even asked: only a VM the operator
   * declared or a migration bound moves by announcement (made-up identities would drain the
   * CoA pools), and only to a port where no other host is known (a tenant's own port is not
   * where a hypervisor plugs a migrated VM).
   */
  private announcementDoubt(mac: string, hoa: string, at: SwitchRef): string | undefined {
    const declared = this.topology.declared?.hosts.some((h) => h.mac === mac && h.ip === hoa) ?? false;
    if (!declared && this.bindings.get(hoa)?.mac !== mac) return `${mac} with ${hoa} is neither declared nor bound: announcements move only VMs the operator declared or migrated`;
    const other = this.topology.hostList().find((h) => h.switch === at.switch && h.port === at.port && h.mac !== mac);
    if (other) return `${at.switch}:${at.port} is where ${other.name ?? other.mac} is: an announcement is believed only at a port of the VM's own`;
    return undefined;
  }

  /** The VM left its old place and is at `at`: a migration of its own (in the default mode), or a move inside its Foreign switch. */
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
    try {
      this.switchover(hoa, 'VM seen at its new port');
    } catch (e) {
      if (!(e instanceof MigrationError)) throw e;
      this.limitedLog.write('error', 'state-not-saved', `switchover of ${hoa} postponed: ${e.message}`, { hoa });
    }
  }

  private refuseAnnouncement(mac: string, at: SwitchRef, reason: string): void {
    this.refusedAnnouncements++;
    this.limitedLog.write('warn', 'announcement-refused', `announcement of ${mac} at ${at.switch}:${at.port} moves nothing: ${reason}`, { mac });
    this.eventsSubject.next({ kind: 'announcement-refused', mac, at, reason });
  }

  /** Packet-ins the migration reads: an arriving VM's IPv4 frame, and ARP for the proxy. */
  private packetIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number' || m.data.length < 14) return;
    if (m.data.readUInt16BE(12) === ETH_TYPE.IPV4) return this.arrived(dpid, inPort, m);
    this.proxyArp.packetIn(dpid, inPort, m);
  }

  /**
   * An IPv4 frame the `arrival` entry sent up: the VM runs at its new port. Host learning has
   * usually made the switchover already (a roaming VM seen in another subnet); if not, it is
   * made here. Either way the frame goes on through the tables, in from the controller's port
   * so that the arrival entry (which matches the VM's port) does not send it up again.
   */
  private arrived(dpid: string, inPort: number, m: PacketIn): void {
    if (m.data.length < m.totalLen) return;
    const here = this.topology.nameOf(dpid);
    const record = this.arrivals.get(parseEthernet(m.data).src);
    if (!record || record.to.switch !== here || record.to.port !== inPort) return;
    // The VM's MAC with its own address only (the switch's admit entry already holds to this; a frame sent up by anything else is not the VM).
    if (m.data.length < IPV4_SOURCE_END || u32At(m.data, IPV4_SOURCE_END - 4) !== ipToInt(record.hoa)) return;
    if (this.pending.get(record.hoa)?.record === record) this.seen(record.hoa);
    this.reinjected++;
    this.openflow.connection(dpid)?.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(PortNo.TABLE)], data: m.data });
  }

  private homeOf(hoa: string): Network {
    return networkOf(this.networks, hoa)!;
  }

  private groupOf(hoa: string): number {
    const g = this.groups.take(hoa);
    if (g === undefined) throw new MigrationError(409, 'every bicast group id is in use (too many migrations in flight)');
    return g;
  }

  /** Forgets the group id of `hoa` in memory (the caller writes the store). */
  private dropGroup(hoa: string): void {
    this.groups.drop(hoa);
  }

  /** After a switchover: a failed write leaves a stale id on disk, dropped at the next start. */
  private freeGroup(hoa: string): void {
    if (!this.groups.has(hoa)) return;
    this.dropGroup(hoa);
    this.save(() => this.bindings.setGroupId(hoa, undefined), hoa);
  }

  /** A write nobody waits for an answer to: logged if it fails. */
  private save(write: () => void, hoa: string): boolean {
    try {
      this.bindings.transaction(write);
      return true;
    } catch (e) {
      this.limitedLog.write('error', 'state-not-saved', `migration state of ${hoa} not saved: ${(e as Error).message}`, { hoa });
      return false;
    }
  }

  private pend(record: MigrationRecord, coaWasHeld: boolean, timeoutMs: number): void {
    const timer = setTimeout(() => this.rollback(record, 'rolled-back', `not completed within its timeout (${timeoutMs} ms)`), Math.max(0, timeoutMs));
    timer.unref();
    this.pending.set(record.hoa, { record, timer, coaWasHeld });
    this.arrivals.set(record.mac, record);
  }

  /**
   * What the store kept, back in force before any switch connects: each binding's CoA and
   * group, the VM at its foreign port, migrations in flight resumed with the time they have
   * left (or rolled back when it ran out), and every VM's part planned as it was, so that
   * reconnecting switches find their tables already right.
   */
  private restore(): void {
    const now = Date.now();
    for (const row of this.bindings.unreadable ?? []) this.log.warn('stored row skipped', { table: row.table, hoa: row.hoa, why: row.why });
    const ctx = { networks: this.networks, switches: new Set(this.dpidOf.keys()), pools: this.pools };
    for (const b of this.bindings.all()) this.setAsideUnless(b.hoa, 'bindings', bindingMisfit(ctx, b));
    for (const { record } of this.bindings.inFlight()) this.setAsideUnless(record.hoa, 'migrations_in_flight', flightMisfit(ctx, record));
    const flights = this.bindings.inFlight();
    const live = new Set([...this.bindings.all().map((b) => b.hoa), ...flights.map((f) => f.record.hoa)]);
    const inFlight = new Set(flights.map((f) => f.record.hoa));
    for (const [hoa, id] of this.bindings.groupIds()) {
      if (inFlight.has(hoa)) this.groups.hold(hoa, id);
      else this.save(() => this.bindings.setGroupId(hoa, undefined), hoa);
    }
    for (const b of this.bindings.all()) {
      if (!this.pools.claim(b.subnet, b.coa, b.hoa)) this.log.warn('stored CoA already held', { hoa: b.hoa, coa: b.coa, subnet: b.subnet });
      if (b.state === 'active') this.topology.relocateHost(b.mac, b.hoa, { switch: b.switch, port: b.port }, true);
    }
    for (const { record, coaWasHeld, deadline } of flights) {
      if (record.to.coa !== undefined) this.pools.claim(record.to.subnet, record.to.coa, record.hoa);
      record.timeline.push({ step: 'found after a restart', at: now });
      this.pend(record, coaWasHeld, deadline - now);
      this.remember(record);
    }
    for (const hoa of live) this.replan(hoa);
    for (const { record } of flights) {
      if (record.status === 'preparing') void this.confirm(this.replan(record.hoa), record, 'tables confirmed').then(() => {
        if (record.status === 'preparing') record.status = 'prepared';
      }, (e: Error) => this.log.warn('resumed migration not confirmed', { hoa: record.hoa, error: e.message }));
    }
    if (live.size > 0) this.log.info('migration state restored', { bindings: this.bindings.all().length, inFlight: flights.length });
  }

  /** A stored row that does not fit the topology is set aside, with a warn naming it and why (never a crash at start). */
  private setAsideUnless(hoa: string, table: string, why: string | undefined): void {
    if (why === undefined) return;
    this.log.warn('stored row skipped: it does not fit the topology', { table, hoa, why });
    this.bindings.setAside(hoa);
  }

  private remember(record: MigrationRecord): void {
    this.records.set(record.id, record);
    this.emit(record);
  }

  /** A migration finished: kept among the last `history` finished ones (the oldest goes first); those in flight always stay. */
  private retire(record: MigrationRecord): void {
    this.finished.push(record.id);
    while (this.finished.length > this.options.history) this.records.delete(this.finished.shift()!);
  }

  private emit(record: MigrationRecord): void {
    this.eventsSubject.next({ kind: 'migration', migration: structuredClone(record) });
  }
}

/** A write of the state store failed: the request is refused and nothing changed. */
function unsaved(e: unknown): MigrationError {
  return new MigrationError(503, `migration state could not be saved, nothing changed: ${(e as Error).message}`);
}

const strip = ({ switch: sw, port, coa }: Place): Place => ({ switch: sw, port, coa });
