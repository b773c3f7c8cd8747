import { Subject, type Observable } from 'rxjs';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import type { Logger } from '../log/logger.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { PacketIn } from '../openflow/index.js';
import { ARP_OP, parseArp } from '../packet/arp.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import { parseIcmpv6 } from '../packet/icmpv6.js';
import { parseIpv4 } from '../packet/ipv4.js';
import { NEXT_HEADER, isLinkLocal, parseIpv6 } from '../packet/ipv6.js';
import type { SwitchRef } from './events.js';
import type { HostStore } from './host-store.js';
import type { HostRefusal, RefusalRule } from './host-store.js';
import { ChurnLimit } from './churn-limit.js';
import { portKey } from './model.js';
import { SightingCache } from './sighting-cache.js';

/**
 * Host learning, as a packet-in processor of its own: who sent each ARP, RARP or IPv4 frame
 * (or unsolicited neighbour advertisement of its own IPv6 address, a move as a RARP is) that
 * reached the controller on a host port, and with which address. The sighting cache
 * skips, without parsing, a frame that would teach nothing new (nearly all of them). An ARP
 * whose sender MAC is not the frame's source is refused here; what an address may be is the
 * store's policy. Each port may change its hosts only so fast (ChurnLimit): one VM inventing
 * MACs and addresses costs what a steady VM costs. Refusals are counted by rule, are on
 * `refused$` and in rate-limited warn lines.
 */
export class HostLearning {
  private readonly sightings = new SightingCache();
  private readonly limitedLog: RateLimitedLog;
  private readonly refusedSubject = new Subject<HostRefusal>();
  readonly refused$: Observable<HostRefusal> = this.refusedSubject.asObservable();
  private removeProcessor: (() => void) | undefined;
  private readonly churn: ChurnLimit;
  /** Sightings refused, by the rule that refused them. */
  readonly refusals = new Map<RefusalRule, number>();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly store: HostStore,
    private readonly nameOf: (dpid: string) => string,
    /** Ports that join two switches: host traffic never enters there. */
    private readonly isFabricPort: (at: SwitchRef) => boolean,
    private readonly log: Logger,
    churn?: ChurnLimit,
  ) {
    this.limitedLog = new RateLimitedLog(log);
    this.churn = churn ?? new ChurnLimit();
  }

  start(): void {
    this.removeProcessor = this.openflow.packetProcessors.add('host-learning', PROCESSOR_PRIORITY.hostLearning, (dpid, m) => this.packetIn(dpid, m));
  }

  stop(): void {
    this.removeProcessor?.();
    this.limitedLog.flushAll();
    this.refusedSubject.complete();
  }

  private packetIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number') return;
    if (this.sightings.unchanged(dpid, inPort, m.data, this.store.version)) return;
    try {
      const frame = parseEthernet(m.data);
      const at = { switch: this.nameOf(dpid), port: inPort };
      if (frame.ethType === ETH_TYPE.LLDP || this.isFabricPort(at)) return;
      let ip: string | undefined;
      const mac = frame.src;
      if (frame.ethType === ETH_TYPE.ARP || frame.ethType === ETH_TYPE.RARP) {
        const arp = parseArp(frame.payload);
        // RARP (QEMU's announcement) names the VM as target; ARP names the sender. Either must be the frame's source.
        const named = arp.op >= ARP_OP.RARP_REQUEST ? arp.targetMac : arp.senderMac;
        if (named !== mac) return this.refuse({ kind: 'refused', mac, ip: undefined, at, rule: 'spoofed-sender', reason: `ARP names ${named}, but the frame comes from ${mac}` });
        if (arp.op <= ARP_OP.REPLY && arp.senderIp !== '0.0.0.0') ip = arp.senderIp;
      } else if (frame.ethType === ETH_TYPE.IPV4) {
        const src = parseIpv4(frame.payload).src;
        if (src !== '0.0.0.0') ip = src;
      } else if (frame.ethType === ETH_TYPE.IPV6) {
        // A dual-stack guest's unsolicited advertisement after a live migration: a move without an address, as a RARP is, and only for the address the host has.
        const why = this.notOwnAdvertisement(mac, frame.payload);
        if (why !== undefined) return this.refuse({ kind: 'refused', mac, ip: undefined, at, rule: 'spoofed-sender', reason: why });
      }
      const port = portKey(at);
      if (!this.churn.allows(port)) {
        return this.refuse({ kind: 'refused', mac, ip, at, rule: 'churn', reason: `port ${port} changes its hosts faster than ${this.churn.perSecond} a second` });
      }
      const change = this.store.learn(mac, ip, at);
      if (change?.kind === 'refused') return this.refuse(change);
      if (change !== undefined) this.churn.take(port);
      this.sightings.remember(dpid, inPort, m.data, this.store.version, this.store.record(mac));
    } catch (e) {
      if (e instanceof PacketParseError) this.log.debug('unparsable packet-in', { dpid, error: e.message });
      else throw e;
    }
  }

  /**
   * Why an IPv6 frame sent up, a neighbour advertisement, is not its host's own (port security
   * sends up unsolicited ones from any host port: `ndAnnouncement`): one for a global address
   * other than the host's, or naming another MAC (a guest also advertises its link-local
   * address, which is declared nowhere: taken as a RARP is). Undefined for any other IPv6 frame (a router
   * solicitation, a migrating VM's packet), a sighting without an address as before.
   */
  private notOwnAdvertisement(mac: string, payload: Buffer): string | undefined {
    const { header, body } = parseIpv6(payload);
    if (header.nextHeader !== NEXT_HEADER.ICMPV6) return undefined;
    const na = parseIcmpv6(header, body);
    if (na.kind !== 'neighbor-advert') return undefined;
    const named = na.options.find((o) => o.kind === 'target-lla');
    if (named && 'mac' in named && named.mac !== mac) return `the advertisement names ${named.mac}, but the frame comes from ${mac}`;
    // A link-local address is declared nowhere (a host makes its own): its advertisement names the sender as a RARP does, no more.
    if (isLinkLocal(na.target)) return undefined;
    const own = this.store.record(mac)?.ip6;
    if (own !== na.target) return `${mac} advertises ${na.target}, which is not its address${own === undefined ? '' : ` (${own})`}`;
    return undefined;
  }

  private refuse(r: HostRefusal): void {
    // A known host seen across subnets (or a migrated VM elsewhere) is not refused: it is a move for whoever decides moves (every migration makes one). Not counted, logged at debug.
    if (r.crossSubnet !== undefined) {
      this.limitedLog.write('debug', `host-elsewhere ${portKey(r.at)}`, 'host seen away from its place', { mac: r.mac, ip: r.ip, at: portKey(r.at), from: portKey(r.crossSubnet.from) });
    } else {
      this.refusals.set(r.rule, (this.refusals.get(r.rule) ?? 0) + 1);
      this.limitedLog.write('warn', `host-refused ${portKey(r.at)}`, 'host sighting refused', { mac: r.mac, ip: r.ip, at: portKey(r.at), reason: r.reason });
    }
    this.refusedSubject.next(r);
  }
}
