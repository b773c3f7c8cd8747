/**
 * The pipeline: the one place that says who owns what in a switch's tables and in the
 * controller's packet-in chain. Every planner takes its cookie, its priorities and its group
 * ids from here, so two planners can never step on each other (test/controller/pipeline.test.ts
 * proves the bands and ranges apart). Everything lives in table 0 today: a single table keeps
 * `ofproto/trace` output and the reconciler's diff readable, and the priority bands already
 * order the planners (see docs/architecture.md for when a second table would pay).
 */

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

export interface PlannerSlot {
  /** The planner's number in its cookie. */
  owner: number;
  cookie: bigint;
  /** The priorities of table 0 it may use (every named priority falls in one of them). */
  bands: readonly Range[];
  /** Its flows' priorities, by purpose. */
  priority: Readonly<Record<string, number>>;
  /** Its group ids, or none. */
  groups: Range | undefined;
}

const slot = <P extends Record<string, number>, G extends Range | undefined>(owner: number, bands: Range[], priority: P, groups: G) => ({
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
  discovery: slot(1, [{ min: 0xfffe, max: 0xffff }, { min: 0, max: 0 }], { lldp: 0xffff, lldpDrop: 0xfffe, tableMiss: 0 }, undefined),
  /** The L3 fabric: gateway ARP, delivery to hosts, host and subnet routes, ECMP groups. */
  fabric: slot(
    2,
    [{ min: 10, max: 1000 }],
    { gatewayArp: 1000, hostAnnounce: 950, arpToHost: 900, l2: 800, hostRoute: 700, subnetRoute: 500, arpToController: 10 },
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
   * sent back abroad), `arp` (proxy ARP, answered by the controller), `arrival` (while a
   * migration is prepared, any frame from the VM at its new port goes to the controller: the
   * switchover trigger, and the frame is sent on). Two ALL groups per binding for its bicast
   * (host side, fabric side).
   */
  migration: slot(
    3,
    [{ min: 2000, max: 2999 }],
    { toHoa: 2100, toHoaFromFabric: 2110, homecoming: 2120, toCoa: 2200, arp: 2300, arrival: 2400 },
    { min: GROUP_ID_BASE + 0x4000, max: GROUP_ID_LIMIT },
  ),
} as const satisfies Record<string, PlannerSlot>;

/**
 * Packet-in processors, lowest first: the topology reads LLDP and host learning learns the
 * sender before any application answers; the migration answers proxy ARP for migrated VMs
 * (and learns of their moves from host learning's refusals); the ARP proxy answers; Observable subscribers
 * (off the hot path) last.
 */
export const PROCESSOR_PRIORITY = {
  topology: 90,
  hostLearning: 100,
  migration: 150,
  arpProxy: 200,
  observers: 1000,
} as const;
