import type { Observable } from 'rxjs';
import type { Dpid } from './dpid.js';

/** What one member is to one switch: the one that writes its tables and answers its packet-ins, or a standby. */
export type ChannelRole = 'master' | 'slave';

/**
 * A member's role for one switch, with the OpenFlow generation id that goes with it: the
 * election's strictly rising number (etcd: the revision of the switch's mastership key), so
 * that a switch refuses a master older than one it has already seen.
 */
export interface RoleGrant {
  dpid: Dpid;
  role: ChannelRole;
  generation: bigint;
  /**
   * A standby in this member's eyes only: it stops writing at once but tells the switch
   * nothing, because it may still be its master (its lease is in doubt, not known lost). A
   * member that really took over demotes it at the switch with a newer generation id.
   */
  quiet?: boolean;
}

/**
 * Who masters which switch. One member alone (the default) masters every switch and never
 * sends a role request (OpenFlow's EQUAL, as before clusters); a cluster's election
 * (src/cluster/) grants each switch to one live member. Events flow down: the election
 * emits grants; the controller layer only reports which switches it holds a channel to.
 */
export interface Mastership {
  /** Whether roles are used at all (a cluster): without, no ROLE_REQUEST is ever sent. */
  readonly clustered: boolean;
  /** Every grant as it changes, the current ones first. */
  readonly grants$: Observable<RoleGrant>;
  /** This member holds (or lost) a channel to the switch: only members with one can master it. */
  connected(dpid: Dpid): void;
  disconnected(dpid: Dpid): void;
  /** The switch refused this member as master (a newer generation, IS_SLAVE): the grant is out of date. */
  refused(dpid: Dpid, why: string): void;
}
