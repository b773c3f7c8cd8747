import type { Svcswitch } from '../src/app/svcswitch.js';
import type { MigrationMode, MigrationRecord } from '../src/migration/binding-store.js';
import type { MininetDc } from './mininet.js';
import { type Attachment, type LiveMigration, type QemuVm, VM_SINK_PORT } from './qemu-vm.js';
import { domainXml, type LibvirtHooks } from './libvirt-hook.js';
import { type OneLcmState, type OpenNebulaHooks, vmTemplate } from './opennebula-hook.js';
import { startTraffic, streamSpecs, type PingResult, type StreamResult } from './traffic.js';
import { until } from './wait.js';

export interface VmMigrationStep {
  hoa: string;
  to: Attachment;
  /**
   * orchestrated: the cloud manager POSTs first; hook: libvirt's hook (`svcswitch hook libvirt`)
   * on each hypervisor; opennebula: OpenNebula's state hook (`svcswitch hook opennebula`) on
   * the destination; transparent: QEMU's migration and its announcements only.
   */
  trigger: 'orchestrated' | 'hook' | 'opennebula' | 'transparent';
  /** With trigger 'hook': libvirt's hook calls. */
  hooks?: LibvirtHooks;
  /** With trigger 'opennebula': its hook's calls. */
  oneHooks?: OpenNebulaHooks;
  mode?: MigrationMode;
  correspondents: readonly string[];
  /** A checked TCP stream from each of these hosts to the VM's sink. */
  streamsFrom?: readonly string[];
  /** A dual-stack VM's IPv6 address: every correspondent pings it too. */
  hoa6?: string;
  /** A checked TCP stream from each of these hosts to the VM's sink at its IPv6 address. */
  streams6From?: readonly string[];
  /** How long after the destination resumed the cloud manager stops the paused source (ms); null: never (paused for good). */
  stopSourceAfterMs: number | null;
  seconds?: number;
}

export interface VmStepResult {
  migration: MigrationRecord;
  qemu: LiveMigration;
  pings: Record<string, PingResult>;
  streams: Record<string, StreamResult>;
}

/**
 * A real VM's live migration in Mininet under traffic, as a cloud manager runs it: pings
 * every 10 ms from each correspondent and the checked streams start; (orchestrated) the
 * migration is requested; QEMU migrates the VM to a tap at the new port; the paused source is
 * stopped `stopSourceAfterMs` after the destination resumed. Resolves once svcswitch's
 * migration completed and the traffic ended.
 */
let oneTaps = 0;

export async function migrateVmWithTraffic(app: Svcswitch, dc: MininetDc, vm: QemuVm, step: VmMigrationStep): Promise<VmStepResult> {
  const seconds = step.seconds ?? 6;
  const traffic = await startTraffic(dc, step.hoa, null, step.correspondents, seconds, streamSpecs(step.streamsFrom, step.streams6From, () => VM_SINK_PORT), step.hoa6);
  await new Promise((r) => setTimeout(r, 800));
  const before = new Set(app.migration.migrations().map((m) => m.id));
  if (step.trigger === 'orchestrated') {
    const m = await app.migration.migrate({ hoa: step.hoa, switch: step.to.switch, port: step.to.port, ...(step.mode ? { mode: step.mode } : {}) });
    if (m.status !== 'prepared') throw new Error(`migration ${m.id} is ${m.status}`);
  }
  const hook = async (host: string, operation: string, sub: string, tap: string | undefined): Promise<void> => {
    const r = await step.hooks!.call(host, operation, sub, domainXml(step.to.switch, tap));
    if (r.code !== 0) throw new Error(`hook ${operation} ${sub} on ${host}: exit ${r.code}: ${r.stderr}`);
  };
  const source = vm.at;
  if (step.trigger === 'hook') await hook(step.to.switch, 'migrate', 'begin', undefined);
  // OpenNebula names the tap one-<vm>-<nic> (unique here: both "hypervisors" share one kernel).
  const oneTap = `one-42-${oneTaps++}`;
  // Its failure, as a value: the hook runs while other steps are awaited (never an unhandled rejection).
  const oneHook = async (lcm: OneLcmState): Promise<Error | undefined> => {
    const r = await step.oneHooks!.call(step.to.switch, vmTemplate({ lcm, source: source.switch, host: step.to.switch, bridge: step.to.switch, tap: oneTap }));
    return r.code === 0 ? undefined : new Error(`OpenNebula's hook in ${lcm} on ${step.to.switch}: exit ${r.code}: ${r.stderr}`);
  };
  const fail = (e: Error | undefined): void => {
    if (e) throw e;
  };
  // OpenNebula enters MIGRATE and runs its hook as libvirt begins; the hook waits for the tap.
  // The memory copy of any real VM outlasts the hook's few hundred ms: here it is awaited.
  const oneMigrating = step.trigger === 'opennebula' ? oneHook('MIGRATE').catch((e: Error) => e) : undefined;
  const qemu = await vm.migrate(
    step.to,
    step.trigger === 'hook' ? { started: (tap) => hook(step.to.switch, 'started', 'begin', tap) } : oneMigrating ? { tap: oneTap, started: async () => fail(await oneMigrating) } : {},
  );
  if (step.stopSourceAfterMs !== null) {
    await new Promise((r) => setTimeout(r, Math.max(0, qemu.resumedAt + step.stopSourceAfterMs! - Date.now())));
    await vm.stopSource();
    // libvirt on the source host, once it stopped the domain there: its hook does nothing.
    if (step.trigger === 'hook') for (const sub of ['stopped', 'release']) await hook(source.switch, sub, 'end', undefined);
  }
  // Then RUNNING, once OpenNebula's driver reported the migration done (its monitor takes seconds). Not at the resume
  // itself: both "hypervisors" share this machine's two cores, and a node process starting then starves the TCG guest.
  if (step.trigger === 'opennebula') fail(await oneHook('RUNNING').catch((e: Error) => e));
  let done: MigrationRecord | undefined;
  await until(() => {
    done = app.migration.migrations().find((m) => !before.has(m.id));
    return done?.status === 'completed' && done.timeline.some((t) => t.step === 'old entries removed');
  }, `the migration of ${vm.spec.name} to ${step.to.switch}:${step.to.port} to complete`, 20_000);
  const { pings, streams } = await traffic.results();
  return { migration: done!, qemu, pings, streams };
}
