import { BehaviorSubject, EMPTY, Subject, concat, defer, from, type Observable, type Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { OpenFlowServer, SwitchDown, SwitchUp } from '../controller/openflow-server.js';
import { PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import { PortConfig, PortNo, PortReason, type PacketIn, type Port, type PortStatus } from '../openflow/index.js';
import { ETH_TYPE, parseEthernet, type EthernetFrame } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import { linkKey, type Adjacency, type FabricGraph } from './fabric-graph.js';
import { nextHops, shortestPaths } from './valley-free.js';
import type { DiscrepancyKind, HostInfo, LinkInfo, SwitchInfo, SwitchRef, TopologyEvent } from './events.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { HostPolicy } from './host-policy.js';
import { HostLearning } from './host-learning.js';
import type { HostChange, HostRefusal, HostStore } from './host-store.js';
import { DEFAULT_HOST_LIMITS, HostTracker, type HostLimits } from './host-tracker.js';
import { LldpDiscovery, type Observation } from './lldp-discovery.js';
import { portKey, type Tier, type Topology } from './model.js';

export interface TopologyOptions {
  /** LLDP probe period; an adjacency not seen for three periods expires. */
  lldpIntervalMs: number;
  /**
   * A declared link not confirmed by LLDP this long after both of its ports came up is
   * reported missing (at least three LLDP periods). Generous by default: a datacenter
   * booting many switches at once is slow to deliver the first probes.
   */
  missingAfterMs: number;
  /** Bounds of the host table (per port, in all, idle ageing, detach grace). */
  hosts: HostLimits;
}

export const DEFAULT_TOPOLOGY_OPTIONS: TopologyOptions = { lldpIntervalMs: 1000, missingAfterMs: 10_000, hosts: DEFAULT_HOST_LIMITS };


interface LinkState extends LinkInfo {
  /** LLDP directions seen ("from>to" keys): confirmed while not empty. */
  seen: Set<string>;
  miswired: boolean;
  /** A discrepancy was reported for this link and not yet cleared. */
  reported: boolean;
  /** When its last confirmation expired: it is missing only once no probe crossed it for the whole wait since. */
  lostAt?: number;
}

/**
 * The controller's knowledge of the datacenter: the declared topology checked against the
 * wire (LLDP), link state from port status, hosts learned from traffic, valley-free paths.
 * Every change is an event on `events$`; a late subscriber first receives the current state.
 */
export class TopologyService {
  private readonly eventsSubject = new Subject<TopologyEvent>();
  private readonly graphSubject: BehaviorSubject<FabricGraph>;
  private readonly switches = new Map<string, SwitchInfo & { connectedAt: number }>();
  private readonly nameByDpid = new Map<string, string>();
  /** Declared switches not connected now (a switch the file does not declare is known only while connected). */
  private declaredDown: number;
  private readonly links = new Map<string, LinkState>();
  /** Each switch's links (declared and seen), so that a switch's or a port's change looks at its own links only. */
  private readonly linksOf = new Map<string, Set<LinkState>>();
  /** The graph of usable links, rebuilt when read after a change (`graphStale`); graph$ gets it at most every GRAPH_COALESCE_MS. */
  private currentGraph: FabricGraph;
  private graphStale = false;
  private graphTimer: NodeJS.Timeout | undefined;
  private readonly tiers: ReadonlyMap<string, Tier>;
  private readonly declaredPort = new Map<string, string>();
  /** Ports of links LLDP sees but the file does not declare, rebuilt by refreshLinks. */
  private undeclaredPorts = new Set<string>();
  /** When each switch port ("acc1:3") last came up: LLDP gets three periods from then before a link is missing. */
  private readonly portLiveSince = new Map<string, number>();
  /** Switches another member of the cluster holds a channel to (see `reachedElsewhere$`). */
  private elsewhere: ReadonlySet<string> = new Set();
  private readonly hosts: HostStore;
  private readonly learning: HostLearning;
  /** Lines a tenant can trigger (stray or forged LLDP) are rate-limited. */
  private readonly limitedLog: RateLimitedLog;
  private readonly discovery: LldpDiscovery;
  private readonly subscriptions: Subscription[] = [];
  private checker: NodeJS.Timeout | undefined;
  private removeProcessor: (() => void) | undefined;

  /** Topology changes; subscribers first get switch-up, link-up and host-added for what exists now. */
  readonly events$: Observable<TopologyEvent> = defer(() => concat(from(this.snapshotEvents()), this.eventsSubject));
  /** The graph of usable links, re-emitted whenever a link goes up or down. */
  readonly graph$: Observable<FabricGraph>;

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: Topology | undefined,
    private readonly log: Logger,
    private readonly options: TopologyOptions = DEFAULT_TOPOLOGY_OPTIONS,
    /** Where hosts are kept (in memory by default; durable and clustered stores add a class). */
    hosts?: HostStore,
    /**
     * In a cluster, the switches (by dpid) another live member holds a channel to, as that set
     * changes. A member's own channels say nothing of a switch's links: one it is not (yet)
     * connected to, which another member serves, keeps its declared links up here.
     */
    private readonly reachedElsewhere$: Observable<ReadonlySet<string>> = EMPTY,
  ) {
    for (const s of topology?.switches ?? []) {
      this.switches.set(s.name, { name: s.name, dpid: s.dpid, tier: s.tier, connected: false, connectedAt: 0 });
      this.nameByDpid.set(s.dpid, s.name);
    }
    this.declaredDown = this.nameByDpid.size;
    for (const l of topology?.links ?? []) {
      const key = linkKey(l.a, l.b);
      this.addLink(key, { a: l.a, b: l.b, declared: true, confirmed: false, up: false, seen: new Set(), miswired: false, reported: false });
      this.declaredPort.set(portKey(l.a), key);
      this.declaredPort.set(portKey(l.b), key);
    }
    this.limitedLog = new RateLimitedLog(log);
    this.hosts = hosts ?? new HostTracker(new HostPolicy(topology), options.hosts);
    for (const h of topology?.hosts ?? []) this.hosts.declare({ name: h.name, mac: h.mac, ip: h.ip, ...(h.ip6 === undefined ? {} : { ip6: h.ip6 }), switch: h.switch, port: h.port });
    this.learning = new HostLearning(openflow, this.hosts, (dpid) => this.nameOf(dpid), (at) => this.isFabricPort(at), log);
    // With a topology file, probes go out of (and are read on) declared switch-to-switch ports only.
    const probes = topology ? (dpid: string, port: number) => this.declaredPort.has(`${this.nameOf(dpid)}:${port}`) : undefined;
    this.discovery = new LldpDiscovery(openflow, log, options.lldpIntervalMs, (o) => this.lldpSeen(o), (o) => this.lldpExpired(o), probes);
    this.tiers = new Map((topology?.switches ?? []).map((s) => [s.name, s.tier]));
    this.currentGraph = this.buildGraph();
    this.graphSubject = new BehaviorSubject(this.currentGraph);
    this.graph$ = this.graphSubject.asObservable();
  }

  /** The LLDP signing key every member of a cluster shares (see LldpDiscovery.useKey); alone, each start makes its own. */
  useLldpKey(key: Buffer): void {
    this.discovery.useKey(key);
  }

  start(): void {
    this.subscriptions.push(
      this.openflow.switchUp$.subscribe((e) => this.switchUp(e)),
      this.openflow.switchDown$.subscribe((e) => this.switchDown(e)),
      this.openflow.portStatus$.subscribe((e) => this.portStatus(e.dpid, e.message)),
      this.reachedElsewhere$.subscribe((dpids) => {
        this.elsewhere = dpids;
        this.refreshLinks();
      }),
    );
    // LLDP is read before any application sees the packet (host learning is a processor of its own).
    this.removeProcessor = this.openflow.packetProcessors.add('topology', PROCESSOR_PRIORITY.topology, (dpid, message) => this.packetIn(dpid, message));
    this.subscriptions.push(
      this.hosts.changes$.subscribe((c) => this.hostChanged(c)),
      this.learning.refused$.subscribe((r) => this.refused(r)),
    );
    this.learning.start();
    this.discovery.start();
    this.checker = setInterval(() => this.reportMissing(), this.options.lldpIntervalMs);
    this.checker.unref();
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.removeProcessor?.();
    this.discovery.stop();
    this.learning.stop();
    this.hosts.stop();
    this.limitedLog.flushAll();
    clearInterval(this.checker);
    clearTimeout(this.graphTimer);
    this.eventsSubject.complete();
    this.graphSubject.complete();
  }

  get declared(): Topology | undefined {
    return this.topology;
  }

  /** Whether every switch is connected: the declared ones, and the others are only known while they are. Constant time (hold-down asks at every connection). */
  allConnected(): boolean {
    return this.declaredDown === 0;
  }

  switchList(): SwitchInfo[] {
    return [...this.switches.values()].map(({ connectedAt: _c, ...s }) => s);
  }

  linkList(): LinkInfo[] {
    return [...this.links.values()].map(publicLink);
  }

  hostList(): HostInfo[] {
    return this.hosts.all();
  }

  /** One page of the host table, and how many hosts there are in all. */
  hostPage(offset: number, limit: number): { hosts: HostInfo[]; total: number } {
    return { hosts: this.hosts.page(offset, limit), total: this.hosts.size };
  }

  /** Host sightings refused so far, by the rule that refused them. */
  hostRefusals(): Record<string, number> {
    return Object.fromEntries(this.learning.refusals);
  }

  /** The host that holds `ip`, if any. */
  hostByIp(ip: string): HostInfo | undefined {
    return this.hosts.byIp(ip);
  }

  hostByMac(mac: string): HostInfo | undefined {
    return this.hosts.byMac(mac);
  }

  /** A declared host by its name in the topology file (learned hosts have none). */
  hostByName(name: string): HostInfo | undefined {
    const declared = this.topology?.hosts.find((h) => h.name === name);
    return declared === undefined ? undefined : this.hosts.byMac(declared.mac);
  }

  /** How many hosts are known, declared and learned. */
  get hostCount(): number {
    return this.hosts.size;
  }

  /**
   * Moves a host where the controller knows it is (a migration switching over, or returning
   * home), as if its traffic had been seen there with address `ip`: `roaming` lets it keep
   * that address at a switch of another subnet, false takes that back. What changed, or why
   * it was refused.
   */
  relocateHost(mac: string, ip: string, at: SwitchRef, roaming: boolean): HostChange | HostRefusal | undefined {
    this.hosts.roam(mac, roaming ? { switch: at.switch, port: at.port, ip } : undefined);
    return this.hosts.learn(mac, ip, at);
  }

  /** The ports of a connected switch where hosts attach: live, not switch-to-switch (declared or seen by LLDP). */
  hostPorts(name: string): number[] {
    const dpid = this.switches.get(name)?.dpid;
    const ports = dpid === undefined ? [] : (this.openflow.connection(dpid)?.ports ?? []);
    return ports.filter((p) => p.portNo <= PortNo.MAX && portLive(p) && !this.isFabricPort({ switch: name, port: p.portNo })).map((p) => p.portNo);
  }

  graph(): FabricGraph {
    if (this.graphStale) {
      this.graphStale = false;
      this.currentGraph = this.buildGraph();
    }
    return this.currentGraph;
  }

  paths(src: string, dst: string, limit = 64): string[][] {
    return shortestPaths(this.graph(), src, dst, limit);
  }

  nextHops(src: string, dst: string): Adjacency[] {
    return nextHops(this.graph(), src, dst);
  }

  nameOf(dpid: string): string {
    return this.nameByDpid.get(dpid) ?? dpid;
  }

  // -------------------------------------------------------------------------------------

  private emit(e: TopologyEvent): void {
    const { kind, ...rest } = e;
    // An undeclared host's changes are an outsider's to cause at will: at most a few lines per port and window.
    if ('host' in e && !e.host.declared) this.limitedLog.write('info', `host-event ${portKey(e.host)}`, `topology: ${kind}`, rest);
    else this.log.info(`topology: ${kind}`, rest);
    this.eventsSubject.next(e);
  }

  private snapshotEvents(): TopologyEvent[] {
    return [
      ...this.switchList().filter((s) => s.connected).map((s): TopologyEvent => ({ kind: 'switch-up', switch: s })),
      ...this.linkList().filter((l) => l.up).map((l): TopologyEvent => ({ kind: 'link-up', link: l })),
      ...this.hostList().map((h): TopologyEvent => ({ kind: 'host-added', host: h })),
    ];
  }

  private switchUp({ dpid, connection }: SwitchUp): void {
    let info = this.switches.get(this.nameOf(dpid));
    if (!info) {
      info = { name: dpid, dpid, tier: undefined, connected: false, connectedAt: 0 };
      this.switches.set(dpid, info);
      if (this.topology) this.discrepancy('unknown-switch', `switch ${dpid} connected but ${this.topology.source} does not declare it`);
    }
    if (!info.connected && this.nameByDpid.has(dpid)) this.declaredDown--;
    Object.assign(info, { connected: true, connectedAt: Date.now() });
    for (const p of connection.ports) if (portLive(p)) this.portLiveSince.set(`${info.name}:${p.portNo}`, Date.now());
    this.emit({ kind: 'switch-up', switch: publicSwitch(info) });
    this.refreshLinks([info.name]);
    this.discovery.probe(dpid, connection.ports);
  }

  private switchDown({ dpid, reason }: SwitchDown): void {
    const info = this.switches.get(this.nameOf(dpid));
    if (!info) return;
    if (info.connected && this.nameByDpid.has(dpid)) this.declaredDown++;
    info.connected = false;
    this.discovery.forget(dpid);
    this.emit({ kind: 'switch-down', switch: publicSwitch(info), reason });
    // A switch the file does not declare is forgotten when it leaves: made-up dpids must not pile up.
    if (!this.nameByDpid.has(dpid)) {
      this.switches.delete(dpid);
      for (const key of [...this.portLiveSince.keys()]) if (key.startsWith(`${info.name}:`)) this.portLiveSince.delete(key);
    }
    this.refreshLinks([info.name]);
  }

  private portStatus(dpid: string, m: PortStatus): void {
    const at = { switch: this.nameOf(dpid), port: m.port.portNo };
    if (m.reason === PortReason.DELETE || !portLive(m.port)) {
      this.discovery.forget(dpid, m.port.portNo);
      this.hosts.portGone(at, m.reason === PortReason.DELETE ? 'port deleted' : 'port down');
      this.portLiveSince.delete(portKey(at));
    } else {
      if (!this.portLiveSince.has(portKey(at))) this.portLiveSince.set(portKey(at), Date.now());
      this.discovery.probe(dpid, [m.port]);
    }
    this.refreshLinks([at.switch]);
  }

  /** LLDP, read off the frame's bytes first: every other packet-in is host learning's or an application's. */
  private packetIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number' || m.data.length < 14 || m.data.readUInt16BE(12) !== ETH_TYPE.LLDP) return;
    try {
      this.lldpIn(dpid, { switch: this.nameOf(dpid), port: inPort }, parseEthernet(m.data));
    } catch (e) {
      if (e instanceof PacketParseError) this.log.debug('unparsable LLDP packet-in', { dpid, error: e.message });
      else throw e;
    }
  }

  /**
   * LLDP is evidence of a link only on a port where a link may be: with a topology file, a
   * declared switch-to-switch port (the switch drops it elsewhere, see the discovery
   * planner); and only when this controller signed it, recently.
   */
  private lldpIn(dpid: string, at: SwitchRef, frame: EthernetFrame): void {
    if (this.topology && !this.declaredPort.has(portKey(at))) {
      this.limitedLog.write('warn', 'lldp-host-port', 'LLDP on a port the topology does not declare as a link; ignored', { port: portKey(at) });
      return;
    }
    const verdict = this.discovery.receive(dpid, at.port, frame);
    if (verdict === 'forged' || verdict === 'table-full') {
      this.limitedLog.write('warn', `lldp-${verdict}`, `LLDP probe ${verdict === 'forged' ? 'not signed by this controller (or stale)' : 'refused: adjacency table full'}; ignored`, { port: portKey(at) });
    }
  }

  private refused(r: HostRefusal): void {
    if (r.crossSubnet !== undefined) return this.eventsSubject.next({ kind: 'host-seen-elsewhere', mac: r.mac, ip: r.crossSubnet.ip, at: r.at, from: r.crossSubnet.from, why: r.reason });
    this.eventsSubject.next({ kind: 'host-refused', mac: r.mac, ip: r.ip, at: r.at, reason: r.reason });
  }

  private hostChanged(c: HostChange): void {
    if (c.kind === 'added') this.emit({ kind: 'host-added', host: c.host });
    else if (c.kind === 'moved') this.emit({ kind: 'host-moved', host: c.host, from: c.from });
    else if (c.kind === 'updated') this.emit({ kind: 'host-updated', host: c.host });
    else this.emit({ kind: 'host-removed', host: c.host, reason: c.reason });
  }

  /** A port that joins two switches (declared, or seen by LLDP): host traffic never enters there. */
  private isFabricPort(at: SwitchRef): boolean {
    const key = portKey(at);
    return this.declaredPort.has(key) || this.undeclaredPorts.has(key);
  }

  private lldpSeen(o: Observation): void {
    const a = { switch: this.nameOf(o.from.dpid), port: o.from.port };
    const b = { switch: this.nameOf(o.to.dpid), port: o.to.port };
    const key = linkKey(a, b);
    let link = this.links.get(key);
    if (!link) {
      link = { a, b, declared: false, confirmed: false, up: false, seen: new Set(), miswired: false, reported: false };
      this.addLink(key, link);
      if (this.topology) {
        const wrong = [a, b].map((e) => this.declaredPort.get(portKey(e))).filter((k): k is string => k !== undefined);
        if (wrong.length > 0) {
          const expected = wrong.map((k) => describe(this.links.get(k)!)).join(' and ');
          this.discrepancy('miswired', `LLDP sees ${describe(link)}; the file declares ${expected}`, a, b);
        } else {
          this.discrepancy('extra', `LLDP sees ${describe(link)}, which ${this.topology.source} does not declare`, a, b);
        }
      }
    }
    link.seen.add(`${o.from.dpid}:${o.from.port}>${o.to.dpid}:${o.to.port}`);
    // A probe across a link already confirmed changes nothing (probes cross every link every interval, and forged ones come faster).
    if (link.confirmed) return;
    link.confirmed = true;
    if (link.declared) link.reported = false;
    this.log.info('link confirmed by LLDP', { link: describe(link), declared: link.declared });
    // With a file, a declared link is up by its ports, not by LLDP: only a link the file does not declare changes what is miswired.
    if (!link.declared || !this.topology) this.refreshLinks();
  }

  private lldpExpired(o: Observation): void {
    const key = linkKey({ switch: this.nameOf(o.from.dpid), port: o.from.port }, { switch: this.nameOf(o.to.dpid), port: o.to.port });
    const link = this.links.get(key);
    if (!link) return;
    link.seen.delete(`${o.from.dpid}:${o.from.port}>${o.to.dpid}:${o.to.port}`);
    if (link.seen.size === 0) {
      link.confirmed = false;
      link.lostAt = Date.now();
      if (!link.declared) this.dropLink(key);
    }
    if (!link.declared || !this.topology) this.refreshLinks();
  }

  /**
   * Declared links not confirmed `missingAfterMs` after both switches connected and both
   * ports came up (a port that never came up counts from its switch's connection).
   */
  private reportMissing(): void {
    const wait = Math.max(this.options.missingAfterMs, 3 * this.options.lldpIntervalMs);
    const settled = Date.now() - wait;
    const since = (e: SwitchRef): number | undefined => {
      const s = this.switches.get(e.switch);
      if (!s?.connected) return undefined;
      const live = this.portLiveSince.get(portKey(e));
      if (live !== undefined) return Math.max(s.connectedAt, live);
      // A port the switch has, but down: the link is down (link-down says so), not missing. A port it lacks counts from its connection.
      return this.portExists(e) ? undefined : s.connectedAt;
    };
    /**
     * Since when this member hears the probes that arrive at `e`'s switch: a probe reaches only
     * the switch's master (in a cluster); alone, every switch's (its role is `equal` throughout).
     */
    const hears = (e: SwitchRef): number | undefined => {
      const conn = this.openflow.connection(this.switches.get(e.switch)?.dpid ?? '');
      return conn === undefined || conn.role === 'slave' ? undefined : conn.roleSince;
    };
    for (const l of this.links.values()) {
      if (!l.declared || l.confirmed || l.reported) continue;
      // A member of a cluster that masters neither end never sees a probe cross the link: not a discrepancy of its own to report.
      const heard = [hears(l.a), hears(l.b)].filter((t): t is number => t !== undefined);
      if (heard.length === 0) continue;
      const ends = [since(l.a), since(l.b), Math.min(...heard), l.lostAt ?? 0];
      if (ends.every((t) => t !== undefined && t < settled)) {
        l.reported = true;
        this.discrepancy('missing', `${describe(l)} is declared, but no LLDP probe crossed it in ${wait} ms`, l.a, l.b);
      }
    }
  }

  private discrepancy(discrepancy: DiscrepancyKind, detail: string, a?: SwitchRef, b?: SwitchRef): void {
    this.log.warn(`topology discrepancy: ${detail}`, { discrepancy });
    this.eventsSubject.next({ kind: 'discrepancy', discrepancy, detail, ...(a ? { a } : {}), ...(b ? { b } : {}) });
  }

  /**
   * Recomputes links' `up` (every link's, or with `only` the links of those switches: a
   * switch's or a port's change touches no other), emits the transitions, and marks the graph
   * stale when any changed. Which ports LLDP finds joining switches the file does not declare
   * (`miswired`) is worked out on a full refresh only: only LLDP changes it.
   */
  private refreshLinks(only?: readonly string[]): void {
    if (only === undefined) {
      this.undeclaredPorts = new Set([...this.links.values()].filter((x) => !x.declared && x.confirmed).flatMap((x) => [portKey(x.a), portKey(x.b)]));
      for (const l of this.links.values()) {
        if (l.declared) l.miswired = this.undeclaredPorts.has(portKey(l.a)) || this.undeclaredPorts.has(portKey(l.b));
      }
    }
    let changed = false;
    for (const l of only === undefined ? this.links.values() : new Set(only.flatMap((sw) => [...(this.linksOf.get(sw) ?? [])]))) {
      const up = this.topology ? l.declared && !l.miswired && this.endLive(l.a) && this.endLive(l.b) : l.confirmed;
      if (up === l.up) continue;
      l.up = up;
      changed = true;
      if (up) this.emit({ kind: 'link-up', link: publicLink(l) });
      else this.emit({ kind: 'link-down', link: publicLink(l), reason: this.whyDown(l) });
    }
    if (changed && this.topology) {
      this.graphStale = true;
      // A datacenter's switches connect by the thousand: one graph for the changes of a few milliseconds, not one each.
      this.graphTimer ??= setTimeout(() => {
        this.graphTimer = undefined;
        const before = this.currentGraph;
        const graph = this.graph();
        if (graph !== before || graph !== this.graphSubject.value) this.graphSubject.next(graph);
      }, GRAPH_COALESCE_MS);
    }
  }

  private addLink(key: string, link: LinkState): void {
    this.links.set(key, link);
    for (const end of [link.a, link.b]) {
      const set = this.linksOf.get(end.switch) ?? new Set();
      set.add(link);
      this.linksOf.set(end.switch, set);
    }
  }

  private dropLink(key: string): void {
    const link = this.links.get(key);
    if (link === undefined) return;
    this.links.delete(key);
    for (const end of [link.a, link.b]) {
      const set = this.linksOf.get(end.switch);
      set?.delete(link);
      if (set?.size === 0) this.linksOf.delete(end.switch);
    }
  }

  private whyDown(l: LinkState): string {
    if (l.miswired) return 'miswired';
    for (const end of [l.a, l.b]) {
      const info = this.switches.get(end.switch);
      if (!info?.connected) return `switch ${end.switch} disconnected`;
      if (!this.portLive(end)) return `port ${end.switch}:${end.port} down`;
    }
    return 'LLDP expired';
  }

  /**
   * Whether a declared link's end carries traffic, as far as this member can tell: its port is
   * live; or its switch has no channel to this member but has one to another member of the
   * cluster. Only members with a channel see that switch's ports: taking its links down here
   * would withdraw the routes through it from every switch this member masters, while the
   * switch forwards (a member restarted before the switch reconnects to it, a member cut off
   * from one switch). A port that really is down is skipped by the switches' own groups (each
   * bucket watches its port) until a member connected to it says so.
   */
  private endLive(ref: SwitchRef): boolean {
    const info = this.switches.get(ref.switch);
    if (info !== undefined && !info.connected && this.elsewhere.has(info.dpid)) return true;
    return this.portLive(ref);
  }

  /** Whether a switch port exists and is live (no LINK_DOWN state, no PORT_DOWN config). */
  portLive(ref: SwitchRef): boolean {
    const port = this.port(ref);
    return port !== undefined && portLive(port);
  }

  private portExists(ref: SwitchRef): boolean {
    return this.port(ref) !== undefined;
  }

  private port(ref: SwitchRef): Port | undefined {
    const info = this.switches.get(ref.switch);
    const conn = info?.connected ? this.openflow.connection(info.dpid) : undefined;
    return conn?.ports.find((p) => p.portNo === ref.port);
  }

  /** The declared links that are up, both ways, each switch's in port order (what fabricGraph makes of the file without the links that are down). */
  private buildGraph(): FabricGraph {
    if (!this.topology) return { tier: new Map(), adjacency: new Map() };
    const adjacency = new Map<string, Adjacency[]>(this.topology.switches.map((s) => [s.name, []]));
    for (const l of this.links.values()) {
      if (!l.declared || !l.up) continue;
      adjacency.get(l.a.switch)?.push({ port: l.a.port, peer: l.b.switch, peerPort: l.b.port });
      adjacency.get(l.b.switch)?.push({ port: l.b.port, peer: l.a.switch, peerPort: l.a.port });
    }
    for (const list of adjacency.values()) list.sort((x, y) => x.port - y.port);
    return { tier: this.tiers, adjacency };
  }
}

/** How long link changes gather before graph$ emits the graph they make. */
const GRAPH_COALESCE_MS = 5;

const portLive = (p: Port): boolean => (p.state & 1) === 0 && (p.config & PortConfig.PORT_DOWN) === 0;
const describe = (l: LinkInfo): string => `${l.a.switch}:${l.a.port} <-> ${l.b.switch}:${l.b.port}`;
const publicLink = (l: LinkState): LinkInfo => ({ a: l.a, b: l.b, declared: l.declared, confirmed: l.confirmed, up: l.up });
const publicSwitch = (s: SwitchInfo & { connectedAt: number }): SwitchInfo => ({ name: s.name, dpid: s.dpid, tier: s.tier, connected: s.connected });

