/**
 * The pipeline: the one place that says who owns what in a switch's tables and in the
 * controller's packet-in chain. Every planner takes its table, its cookie, its priorities and
 * its group ids from here, so two planners can never step on each other
 * (test/controller/pipeline.test.ts proves the bands and ranges apart). Two tables, as OVN's
 * `ls_in_port_sec` stage comes before its switching stages: table 0 (`ingress`) reads LLDP
 * and admits a frame only from a port and with a source the controller knows (port security),
 * then hands it to table 1 (`forwarding`), where the fabric and the migration decide where
 * it goes by priority bands (see docs/architecture.md). Without a topology file nothing is
 * declared and table 0 alone sends everything to the controller.
 */

/**
 * The tables, by stage. Two more serve ARP answered in the switch (OpenFlow 1.3 cannot copy
 * one field into another, so a reply is built in stages that each set constants):
 * `arpAnswer` makes a request the reply "X is at the gateway MAC" for each address X it
 * knows (set arp_spa to X), and `arpReply` sends a reply back to whoever asked, one entry per
 * known host (set its MAC and address as the target). The entry that sends a request there
 * decides who is answered; a request neither table knows goes to the controller unchanged.
 * IPv6 does the same in `ndReply`: an entry of the forwarding table has made a neighbour
 * solicitation for the gateway an advertisement (its type, flags, addresses), and `ndReply`
 * sets the target link-layer address, which Open vSwitch lets an action set only on a
 * packet its match already calls an advertisement. What no entry of `forwarding` takes goes
 * on to `routing` (its longest-prefix stage, as OVN's `lr_in_ip_routing` follows its
 * switching stages): the fabric's summarized routes (docs/routing-at-scale.md), which a
 * migration's redirect also hands its rewritten packets to, so that it never names a group
 * of the fabric's.
 */
export const TABLE = { ingress: 0, forwarding: 1, arpAnswer: 2, arpReply: 3, ndReply: 4, routing: 5 } as const;

/** Every flow svcswitch installs carries "SV" in the top 16 bits of its cookie; the next 16 name the planner. */
export const COOKIE_PREFIX = 0x5356n << 48n;
export const COOKIE_PREFIX_MASK = 0xffffn << 48n;
/** Groups have no cookie: svcswitch owns the group ids in this range, and only these. */
export const GROUP_ID_BASE = 0x53560000;
export const GROUP_ID_LIMIT = 0x5356ffff;

export const plannerCookie = (owner: number): bigint => COOKIE_PREFIX | (BigInt(owner & 0xffff) << 32n);

/** An inclusive range of numbers (priorities or group ids). */
export interface Range {
  min: number;
  max: number;
}

/** Priorities of one table. */
export interface Band extends Range {
  table: number;
}

export interface PlannerSlot {
  /** The planner's number in its cookie. */
  owner: number;
  cookie: bigint;
  /** The table and priorities it may use (every named priority falls in one of them). */
  bands: readonly Band[];
  /** Its flows' priorities, by purpose. */
  priority: Readonly<Record<string, number>>;
  /** Its group ids, or none. */
  groups: Range | undefined;
}

const slot = <P extends Record<string, number>, G extends Range | undefined>(owner: number, bands: Band[], priority: P, groups: G) => ({
  owner,
  cookie: plannerCookie(owner),
  bands,
  priority,
  groups,
});

export const PIPELINE = {
  /**
   * LLDP to the controller above everything (with a topology file, from declared
   * switch-to-switch ports only, and dropped from every other port just below); without a
   * file, a table-miss to learn hosts.
   */
  discovery: slot(1, [{ table: TABLE.ingress, min: 0xfffe, max: 0xffff }, { table: TABLE.ingress, min: 0, max: 0 }], { lldp: 0xffff, lldpDrop: 0xfffe, tableMiss: 0 }, undefined),
  /**
   * Port security, in table 0 (OVN's port_sec stages; Faucet's per-port ACLs): a frame goes on
   * to forwarding only from a switch-to-switch port or the controller (`trusted`), or from a
   * host port with a known host's MAC and address, IPv4 source or ARP sender alike
   * (`host`). A RARP (a hypervisor's announcement) goes on to the controller through the
   * forwarding table (`announcement`); any other ARP goes to the controller only, where
   * host learning decides (`learn`); everything else from a host port is dropped (`drop`).
   * In IPv6, a host's packets from its own address pass as `host`; neighbour discovery is
   * judged above that: router advertisements, solicitations and advertisements from a host
   * port are dropped (`ndGuard`: RA guard, and no forged neighbour entries) unless they are
   * the host's own (`ndOwn`: from its MAC and its address or a link-local one, a solicitation
   * naming its own MAC, an advertisement for its own address). An unsolicited advertisement
   * to all nodes that is not the host's own at its port goes to the controller only
   * (`ndAnnouncement`): a migrated dual-stack guest announces itself so, as QEMU does by RARP.
   */
  portSecurity: slot(4, [{ table: TABLE.ingress, min: 100, max: 999 }], { trusted: 900, ndOwn: 610, ndAnnouncement: 605, ndGuard: 600, host: 500, announcement: 300, learn: 200, drop: 100 }, undefined),
  /**
   * The L3 fabric: gateway ARP (and in IPv6, neighbour solicitations for the gateway:
   * `gatewayNd`), delivery to hosts, host and subnet routes (IPv4 and IPv6 alike), ECMP
   * groups; in `arpReply`, every known host's entry that sends a reply built for it back to
   * its port; in `ndReply`, the one entry that finishes an advertisement built for a host.
   * The lowest entry of `forwarding` (`onToRouting`) hands the rest to `routing`: a network's
   * own route (`subnetRoute`: its next hops differ from the default's), its drop at the switch
   * that serves it and the addresses never routed (`subnetDrop`), from an up link nothing
   * that would climb again (`notUpAgain`), and the default route up (`defaultRoute`).
   */
  fabric: slot(
    2,
    [{ table: TABLE.forwarding, min: 1, max: 1000 }, { table: TABLE.arpReply, min: 100, max: 100 }, { table: TABLE.ndReply, min: 100, max: 100 }, { table: TABLE.routing, min: 400, max: 510 }],
    { gatewayArp: 1000, gatewayNd: 1000, hostAnnounce: 950, arpToHost: 900, ndToHost: 900, l2: 800, hostRoute: 700, arpToController: 10, routerSolicit: 10, onToRouting: 1, arpReply: 100, ndReply: 100, subnetDrop: 510, subnetRoute: 500, notUpAgain: 450, defaultRoute: 400 },
    { min: GROUP_ID_BASE + 1, max: GROUP_ID_BASE + 0x3fff },
  ),
  /**
   * Cross-subnet migration: NAT and proxy-ARP entries must win over the fabric's host routes,
   * so its band sits above the fabric's. Priorities go by what an entry matches, so that the
   * bicast of make-before-break and the rewrite that follows it share a key and the switchover
   * replaces one by the other in a single flow-mod: `toHoa` (IPv4 for the Home Address from a
   * host port: redirect or bicast), `toHoaFromFabric` (the same from a switch-to-switch port,
   * sent back out of it: OpenFlow drops an output to the in_port otherwise), `toCoa` (IPv4 for
   * a Care-of Address: restore or bicast), `homecoming` (on a return home, the copies the
   * bicast sends home, marked with the VM's own MAC: delivered at the Home switch only, never
   * sent back abroad), `arp` (proxy ARP: at the Home switch a request for the HoA becomes the
   * reply and goes to `arpReply`; at the Foreign switch the VM's requests for its Home Network
   * go to `arpAnswer`, where `arpAnswer` answers for each known address of that network and
   * `arpUnknown` hands the others to the controller; `arpOwn`: the VM's gratuitous ARP for its
   * own HoA still goes to the controller, as any host's does), `arrival` (while a
   * migration is prepared, any frame from the VM at its new port goes to the controller: the
   * switchover trigger, and the frame is sent on), and in table 0 `admit` (while a migration
   * is prepared, the VM's own MAC and HoA pass port security at its new port, above the
   * port-security band's host entries: its host record moves there only at the switchover).
   * In first-hop mode, also in table 0, the VM's own packets: at its Foreign port those to the
   * Foreign switch's own subnets keep the HoA as source (`sourceKept`), all others leave with
   * the CoA (`sourceToCoa`); at every other first hop, a packet from a switch-to-switch port
   * with the CoA as source gets the HoA back before forwarding delivers it (`sourceRestored`).
   * In IPv6 (a dual-stack VM), every entry above has its twin, told apart by `eth_type`;
   * neighbour discovery takes ARP's place: `nd` (at the Home switch a solicitation for the
   * HoA becomes the advertisement "HoA is at the gateway MAC" and goes to `arpReply`, which
   * addresses it to the host that asked; at the Foreign switch the VM's solicitations go to
   * `arpAnswer`), `ndProbe` (the same for a unicast probe, which carries no link-layer
   * option), and in table 0, at the VM's new port while it is prepared and at its Foreign
   * port in first-hop mode, its own ND passes (`admitNdOwn`) and any other ND from its MAC is
   * dropped (`admitNdGuard`) above the source entries, as port security's `ndOwn` and
   * `ndGuard` do below them. Two ALL groups per binding and family for its bicast (host side,
   * fabric side): IPv4's pair, then IPv6's.
   */
  migration: slot(
    3,
    [{ table: TABLE.forwarding, min: 2000, max: 2999 }, { table: TABLE.ingress, min: 1000, max: 1099 }, { table: TABLE.arpAnswer, min: 10, max: 100 }],
    { toHoa: 2100, toHoaFromFabric: 2110, homecoming: 2120, toCoa: 2200, arp: 2300, arpOwn: 2310, nd: 2320, ndProbe: 2330, arrival: 2400, admit: 1000, sourceRestored: 1010, sourceToCoa: 1020, sourceKept: 1030, admitNdGuard: 1040, admitNdOwn: 1050, arpAnswer: 100, arpUnknown: 10 },
    { min: GROUP_ID_BASE + 0x4000, max: GROUP_ID_LIMIT },
  ),
} as const satisfies Record<string, PlannerSlot>;

/** The planner whose cookie `cookie` is (for traces and logs), or undefined for a cookie not ours. */
export function plannerOf(cookie: bigint): string | undefined {
  return Object.entries(PIPELINE).find(([, s]) => s.cookie === cookie)?.[0];
}

const PLANNER_BY_OWNER = new Map<number, string>(Object.entries(PIPELINE).map(([name, s]) => [s.owner, name]));
/** The planner whose number (a cookie's bits 32-47) is `owner`. */
export const plannerOfOwner = (owner: number): string | undefined => PLANNER_BY_OWNER.get(owner);

const GROUP_RANGES = Object.entries(PIPELINE).flatMap(([name, s]) => (s.groups ? [{ name, ...s.groups }] : []));
/** The planner whose group range holds `groupId`. */
export const plannerOfGroup = (groupId: number): string | undefined => GROUP_RANGES.find((r) => groupId >= r.min && groupId <= r.max)?.name;

/**
 * Packet-in processors, lowest first: the topology reads LLDP and host learning learns the
 * sender before any application answers; the migration answers proxy ARP for migrated VMs
 * (and learns of their moves from the topology's host-seen-elsewhere events); the ARP proxy answers; Observable subscribers
 * (off the hot path) last.
 */
export const PROCESSOR_PRIORITY = {
  /** Counts every packet-in by kind before anyone acts on it (src/api/metrics.ts). */
  metrics: 10,
  topology: 90,
  hostLearning: 100,
  migration: 150,
  arpProxy: 200,
  /** Router solicitations answered with the fabric's router advertisement (src/fabric/router-adverts.ts). */
  routerAdverts: 210,
  observers: 1000,
} as const;
