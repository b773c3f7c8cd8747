import type { Logger } from '../log/logger.js';
import type { SwitchRef } from '../topology/events.js';
import type { ProbeAnswer } from './liveness-probe.js';

/** What judging an announcement reads. */
export interface AnnouncementView {
  /** Where the migration pending for `hoa` goes, if one is. */
  pendingTo(hoa: string): SwitchRef | undefined;
  trigger: 'any' | 'orchestrated-only';
  /** Whether the topology file declares a host with this MAC and address. */
  declared(mac: string, hoa: string): boolean;
  /** The MAC of the binding of `hoa`, if it has one. */
  boundMac(hoa: string): string | undefined;
  /** A host other than `mac` known at `at` (its name or MAC), if any. */
  otherHostAt(at: SwitchRef, mac: string): string | undefined;
  gatewayOf(hoa: string): string;
  /** The controller is stopping: nothing is decided any more. */
  stopped(): boolean;
  /** Whether this member writes the migration state (always, alone; the migration leader, in a cluster). */
  leads(): boolean;
}

/** What the judge decides: the pending migration's VM is where it goes; the VM left its old place for `at`; or nothing moves, and why. */
export interface AnnouncementOutcomes {
  seen(hoa: string): void;
  believe(mac: string, hoa: string, at: SwitchRef): void;
  refuse(mac: string, at: SwitchRef, reason: string): void;
}

/**
 * Why an announcement is not believed before its VM is even asked, or undefined: only a VM
 * the operator declared or a migration bound moves by announcement (made-up identities would
 * drain the CoA pools), and only to a port where no other host is known (a tenant's own port
 * is not where a hypervisor plugs a migrated VM). Pure.
 */
export function announcementDoubt(mac: string, hoa: string, at: SwitchRef, view: Pick<AnnouncementView, 'declared' | 'boundMac' | 'otherHostAt'>): string | undefined {
  if (!view.declared(mac, hoa) && view.boundMac(hoa) !== mac) return `${mac} with ${hoa} is neither declared nor bound: announcements move only VMs the operator declared or migrated`;
  const other = view.otherHostAt(at, mac);
  if (other !== undefined) return `${at.switch}:${at.port} is where ${other} is: an announcement is believed only at a port of the VM's own`;
  return undefined;
}

/**
 * A known VM, with its own address, seen where it is not bound (a RARP, a gratuitous ARP, an
 * ARP at a switch of another subnet, or at another port of its Foreign switch): the switchover
 * of a migration pending to exactly there; else, only with `--migrations any`, a move of its
 * own once the VM is known to have left: not doubted (`announcementDoubt`), and silent at its
 * old place when asked (docs/security.md, "When an announcement is believed").
 */
export class AnnouncementJudge {
  /** VMs whose old place is being asked whether they still run there, by HoA: QEMU repeats its RARP, the probe in flight answers them all. */
  private readonly probing = new Set<string>();

  constructor(
    private readonly view: AnnouncementView,
    private readonly probe: { check(at: SwitchRef, mac: string, ip: string, gateway: string): Promise<ProbeAnswer> },
    private readonly outcomes: AnnouncementOutcomes,
    private readonly log: Logger,
  ) {}

  judge(mac: string, hoa: string, at: SwitchRef, from: SwitchRef): void {
    const pendingTo = this.view.pendingTo(hoa);
    if (pendingTo) {
      if (pendingTo.switch === at.switch && pendingTo.port === at.port) this.outcomes.seen(hoa);
      else this.outcomes.refuse(mac, at, `a migration of ${hoa} to ${pendingTo.switch}:${pendingTo.port} is pending`);
      return;
    }
    if (this.view.trigger === 'orchestrated-only') return this.outcomes.refuse(mac, at, 'announcements alone do not migrate VMs (--migrations orchestrated-only)');
    // A follower writes no migration of its own, and cannot hand one over: see docs/cluster.md, "Announcements in a cluster".
    if (!this.view.leads()) return this.outcomes.refuse(mac, at, 'this member does not lead the migrations: in a cluster an announcement alone moves a VM only at a switch the migration leader masters');
    if (this.probing.has(hoa)) return;
    const doubt = announcementDoubt(mac, hoa, at, this.view);
    if (doubt !== undefined) return this.outcomes.refuse(mac, at, doubt);
    this.probing.add(hoa);
    void this.probe
      .check(from, mac, hoa, this.view.gatewayOf(hoa))
      .then((answer) => {
        this.probing.delete(hoa);
        if (this.view.stopped() || this.view.pendingTo(hoa)) return;
        if (!this.view.leads()) return this.outcomes.refuse(mac, at, 'this member stopped leading the migrations while it asked the VM\'s old place');
        if (answer === 'answered') return this.outcomes.refuse(mac, at, `${hoa} answered at ${from.switch}:${from.port}: it runs there`);
        if (answer === 'unreachable') return this.outcomes.refuse(mac, at, `${hoa} cannot be asked at ${from.switch}:${from.port} (its switch is not connected)`);
        if (answer === 'not-mastered') return this.outcomes.refuse(mac, at, `${hoa} cannot be asked at ${from.switch}:${from.port}: another member of the cluster masters ${from.switch}`);
        this.outcomes.believe(mac, hoa, at);
      })
      .catch((e: Error) => {
        // Never an unhandled rejection: the controller goes on, the operator reads why.
        this.probing.delete(hoa);
        this.log.error('announcement not handled', { mac, hoa, at: `${at.switch}:${at.port}`, error: e.message });
      });
  }
}
