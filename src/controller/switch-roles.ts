import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { ControllerRole, ErrorType, MessageType, RoleRequestFailedCode, BadRequestCode, type OfpMessage } from '../openflow/index.js';
import type { Dpid } from './dpid.js';
import { ConnectionClosedError, OpenFlowErrorReply, RequestTimeoutError } from './errors.js';
import type { Mastership, RoleGrant } from './mastership.js';
import type { OpenFlowServer, SwitchDown, SwitchUp } from './openflow-server.js';
import type { SwitchConnection } from './switch-connection.js';

/** The switches this member may write to: reconcilers follow these (FlowManager). */
export interface WritableChannels {
  readonly up$: Observable<SwitchUp>;
  readonly down$: Observable<SwitchDown>;
}

/**
 * One asynchronous configuration for every role (OpenFlow 1.3 §7.3.10, masks per role: master
 * and equal, then slave): the master gets packet-ins for every reason, port status and flow
 * removals; a standby gets port status only, so that every member keeps the same view of the
 * links while only the master answers packet-ins. OVS resets it on every connection.
 */
const ASYNC: OfpMessage = { type: MessageType.SET_ASYNC, xid: 0, packetInMask: [0b111, 0], portStatusMask: [0b111, 0b111], flowRemovedMask: [0b1111, 0] };

interface SwitchState {
  up: SwitchUp | undefined;
  grant: RoleGrant | undefined;
  /** The grant the switch confirmed on this connection (its ROLE_REPLY). */
  applied: RoleGrant | undefined;
  /** Announced on up$ (a reconciler writes to it). */
  writable: boolean;
  /** Role requests to one switch go one after the other. */
  chain: Promise<void>;
  /** The channel SET_ASYNC was sent on (once per channel, after its first role reply). */
  asyncOn: SwitchConnection | undefined;
}

/**
 * OpenFlow 1.3 roles on every switch channel, from the election's grants: a ROLE_REQUEST with
 * the grant's generation id, then SET_ASYNC, again after every reconnect (a switch forgets
 * both). Nothing is written to a switch until its ROLE_REPLY says MASTER: only then does the
 * switch go up on `up$` and get reconciled. A grant taken away puts it down on `down$` before
 * the role request leaves, so no write follows a lost mastership. A switch that refuses this
 * member (a stale generation, IS_SLAVE) is reported back to the election.
 */
export class SwitchRoles implements WritableChannels {
  private readonly switches = new Map<Dpid, SwitchState>();
  private readonly upSubject = new Subject<SwitchUp>();
  private readonly downSubject = new Subject<SwitchDown>();
  readonly up$: Observable<SwitchUp> = this.upSubject.asObservable();
  readonly down$: Observable<SwitchDown> = this.downSubject.asObservable();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly mastership: Mastership,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.subscriptions.push(
      this.openflow.switchUp$.subscribe((up) => {
        const s = this.state(up.dpid);
        s.up = up;
        s.applied = undefined;
        // A standby until the switch confirms otherwise: it takes a new channel as EQUAL, which may write and gets packet-ins.
        up.connection.role = 'slave';
        this.mastership.connected(up.dpid);
        this.apply(up.dpid);
      }),
      this.openflow.switchDown$.subscribe((down) => {
        const s = this.state(down.dpid);
        s.up = undefined;
        s.applied = undefined;
        this.putDown(s, down.dpid, down.reason);
        this.mastership.disconnected(down.dpid);
      }),
      this.mastership.grants$.subscribe((g) => {
        const s = this.state(g.dpid);
        s.grant = g;
        // Before any role request: a mastership lost stops the writes now.
        if (g.role === 'slave') {
          this.putDown(s, g.dpid, g.quiet ? 'this member\'s mastership is in doubt (its lease)' : 'mastership moved to another member');
          if (s.up) s.up.connection.role = 'slave';
        }
        this.apply(g.dpid);
      }),
      this.openflow.errors$.subscribe(({ dpid, message }) => {
        if (message.errType === ErrorType.BAD_REQUEST && 'code' in message && message.code === BadRequestCode.IS_SLAVE) this.refusedBy(dpid, 'the switch says this member is not its master (IS_SLAVE)');
      }),
    );
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** This member's role for a switch as the switch confirmed it, if any. */
  roleOf(dpid: Dpid): RoleGrant | undefined {
    return this.switches.get(dpid)?.applied;
  }

  private state(dpid: Dpid): SwitchState {
    let s = this.switches.get(dpid);
    if (!s) {
      s = { up: undefined, grant: undefined, applied: undefined, writable: false, chain: Promise.resolve(), asyncOn: undefined };
      this.switches.set(dpid, s);
    }
    return s;
  }

  private putDown(s: SwitchState, dpid: Dpid, reason: string): void {
    if (!s.writable) return;
    s.writable = false;
    this.downSubject.next({ dpid, reason });
  }

  private refusedBy(dpid: Dpid, why: string): void {
    const s = this.state(dpid);
    this.putDown(s, dpid, why);
    if (s.up) s.up.connection.role = 'slave';
    s.applied = undefined;
    this.log.info('switch refused this member as master', { dpid, why });
    this.mastership.refused(dpid, why);
  }

  private apply(dpid: Dpid): void {
    const s = this.state(dpid);
    s.chain = s.chain.then(() => this.applyNow(dpid, s));
  }

  private async applyNow(dpid: Dpid, s: SwitchState): Promise<void> {
    const { up, grant } = s;
    if (!up || !grant || s.applied === grant) return;
    if (grant.quiet) {
      // Nothing to tell the switch; the next grant is sent whatever it is.
      s.applied = undefined;
      return;
    }
    try {
      const reply = await up.connection.request({ type: MessageType.ROLE_REQUEST, xid: 0, role: grant.role === 'master' ? ControllerRole.MASTER : ControllerRole.SLAVE, generationId: grant.generation });
      if (s.asyncOn !== up.connection) {
        s.asyncOn = up.connection;
        await up.connection.send(ASYNC);
      }
      // A newer grant or another connection came meanwhile: the next link of the chain applies it.
      if (s.grant !== grant || s.up !== up) return;
      s.applied = grant;
      if (reply.type !== MessageType.ROLE_REPLY) return;
      if (grant.role === 'master' && reply.role === ControllerRole.MASTER && !s.writable) {
        up.connection.role = 'master';
        s.writable = true;
        this.log.info('master of the switch', { dpid, generation: String(grant.generation) });
        this.upSubject.next(up);
      }
    } catch (e) {
      if (e instanceof OpenFlowErrorReply) {
        const stale = e.error.errType === ErrorType.ROLE_REQUEST_FAILED && 'code' in e.error && e.error.code === RoleRequestFailedCode.STALE;
        // A switch that does not do roles at all (BAD_REQUEST) is refused the same way: this member never writes to it.
        this.refusedBy(dpid, stale ? `generation ${grant.generation} is older than one the switch has seen` : `role request refused (${e.reason})`);
        return;
      }
      if (e instanceof ConnectionClosedError || e instanceof RequestTimeoutError) return; // the channel is going: its switch-down follows
      this.log.error('role request failed', { dpid, error: (e as Error).message });
    }
  }
}
