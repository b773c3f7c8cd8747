import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerProcess, freePort } from './controller-process.js';
import { EtcdCluster } from './etcd.js';
import { vsctl } from './ovs.js';

/**
 * Each bridge's masters, by the OpenFlow port of the member it connects to, as Open vSwitch
 * says (`ovs-vsctl list controller`: connected, role master). OVS refreshes the role column
 * every few seconds: the switch's ROLE_REPLY, in the member's log, comes first.
 */
export async function ovsMasters(): Promise<Map<string, number[]>> {
  const bridges = JSON.parse(await vsctl('--format=json', '--columns=name,controller', 'list', 'bridge')) as { data: Array<[string, unknown]> };
  const ctl = JSON.parse(await vsctl('--format=json', '--columns=_uuid,target,role,is_connected', 'list', 'controller')) as { data: Array<[[string, string], string, string, boolean]> };
  const byUuid = new Map(ctl.data.map(([[, uuid], target, role, connected]) => [uuid, { port: Number(target.split(':').at(-1)), role, connected }]));
  const out = new Map<string, number[]>();
  for (const [name, set] of bridges.data) {
    const uuids = JSON.stringify(set).match(/[0-9a-f]{8}-[0-9a-f-]{27}/g) ?? [];
    out.set(name, uuids.map((u) => byUuid.get(u)).filter((c) => c?.connected && c.role === 'master').map((c) => c!.port));
  }
  return out;
}

/** Every bridge's datapath id, by name. */
export async function bridgeDpids(): Promise<Map<string, string>> {
  return new Map((JSON.parse(await vsctl('--format=json', '--columns=name,datapath_id', 'list', 'bridge')) as { data: Array<[string, string]> }).data);
}

/**
 * A cluster on loopback: three etcd members and `size` svcswitch members (`m0`, `m1`, ...),
 * each its own process on its own OpenFlow and API ports and state directory, so that one
 * can be killed, frozen or started again as an operator's would.
 */
export class ClusterRig {
  readonly members: Array<ControllerProcess | undefined> = [];
  /** Every member process started, the killed ones too (their log lines stay readable). */
  readonly all: ControllerProcess[] = [];
  readonly ofPorts: number[] = [];
  private readonly apiPorts: number[] = [];
  private readonly stateRoot = mkdtempSync(join(tmpdir(), 'svcswitch-cluster-'));

  private constructor(
    readonly etcd: EtcdCluster,
    private readonly topologyFile: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** `extraArgs`: more flags of `svcswitch run` for every member (--audit-interval 1000, say). */
  static async start(topologyFile: string, size = 3, progress: (s: string) => void = () => {}, extraArgs: readonly string[] = []): Promise<ClusterRig> {
    progress('starting 3 etcd members');
    const rig = new ClusterRig(await EtcdCluster.start(3), topologyFile, extraArgs);
    for (let i = 0; i < size; i++) {
      rig.ofPorts.push(await freePort());
      rig.apiPorts.push(await freePort());
    }
    for (let i = 0; i < size; i++) {
      progress(`starting svcswitch member m${i} (OpenFlow 127.0.0.1:${rig.ofPorts[i]}, API 127.0.0.1:${rig.apiPorts[i]})`);
      await rig.startMember(i);
    }
    return rig;
  }

  async startMember(i: number): Promise<ControllerProcess> {
    const args = ['--topology', this.topologyFile, '--of-listen', `127.0.0.1:${this.ofPorts[i]}`, '--state-dir', join(this.stateRoot, `m${i}`), '--lldp-interval', '500', '--cluster', this.etcd.url, '--member-id', `m${i}`, ...this.extraArgs];
    const p = await ControllerProcess.start(args, this.apiPorts[i]!);
    this.members[i] = p;
    this.all.push(p);
    return p;
  }

  /** kill -9 of member `i`. */
  async kill(i: number): Promise<void> {
    await this.members[i]?.kill9();
    this.members[i] = undefined;
  }

  /** The member index of an OpenFlow port (as ovsMasters gives them). */
  memberOf(port: number): number {
    return this.ofPorts.indexOf(port);
  }

  /**
   * What the members said that could explain a failure, in time order: every warn and error,
   * and every line whose message matches `pattern`, since `sinceMs` (epoch ms); each process by
   * its index in `all` (a killed member's lines stay).
   */
  said(pattern: RegExp, sinceMs = 0): string[] {
    return this.all
      .flatMap((p, i) => p.lines
        .filter((l) => Date.parse(String(l.timestamp)) >= sinceMs && (l.level === 'warn' || l.level === 'error' || pattern.test(String(l.message))))
        .map((l) => `${String(l.timestamp).slice(11, 23)} process ${i}: ${String(l.message)} ${JSON.stringify({ ...l, timestamp: undefined, message: undefined, level: undefined })}`.slice(0, 400)))
      .sort();
  }

  /** When the switch first confirmed a member as master since `sinceMs` (its ROLE_REPLY, in that member's log), by datapath id. */
  confirmedSince(dpid: string, sinceMs: number): number | undefined {
    const since = new Date(sinceMs).toISOString();
    const at = this.members.flatMap((p) => p?.lines.filter((l) => l.message === 'master of the switch' && l.dpid === dpid && String(l.timestamp) >= since) ?? []);
    return at.length > 0 ? Math.min(...at.map((l) => Date.parse(String(l.timestamp)))) : undefined;
  }

  async stop(): Promise<void> {
    for (const m of this.members) await m?.kill9();
    await this.etcd.stop();
    rmSync(this.stateRoot, { recursive: true, force: true });
  }
}
