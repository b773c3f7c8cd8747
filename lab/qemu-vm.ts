import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sh, vsctl } from './ovs.js';
import { Qmp } from './qmp.js';
import { until } from './wait.js';

/** The boot files scripts/vm-image.sh makes (`make setup`). */
const IMAGE = resolve('build/vm');
/**
 * The most QEMU may pause the guest at the end of a live migration, ms: QEMU's default. With
 * 20 ms (what `virsh migrate-setmaxdowntime DOMAIN 20` sets) QEMU 7.2's TCG loses track of
 * pages the guest writes during the many extra passes it then makes: the guest arrives with
 * stale memory and crashes at once (a poisoned timer list in __run_timers, or "virtio_net
 * output.0: id 0 is not a head"), in 1 of 4 to 6 migrations on these machines; with 300, in
 * none of 8 (docs/migration.md). KVM, which tracks dirty pages in hardware, does not fail here
 * on this machine because it does not run.
 */
const DOWNTIME_LIMIT_MS = 300;
/** Packets a tap holds for a guest that does not run yet (what a bicast sends during a long migration). */
const TAP_QUEUE = 20_000;
/** The guest's checked TCP sink (lab/vm-init.sh): a connection's bytes, answered "ok SHA256 BYTES". */
export const VM_SINK_PORT = 5001;

/** A declared host that a real QEMU VM plays. */
export interface VmSpec {
  name: string;
  mac: string;
  /** Address and prefix length, `10.0.1.20/24`. */
  address: string;
  gateway: string;
  /** A dual-stack VM's IPv6 address and prefix length, `2001:db8:0:1::20/64`, and its IPv6 gateway. */
  address6?: string;
  gateway6?: string;
}

/** Where a VM's tap is plugged: a Mininet switch (an OVS bridge of that name) and the port number it asks for. */
export interface Attachment {
  switch: string;
  port: number;
}

/** One QEMU process and its tap. */
interface Instance {
  child: ChildProcess;
  qmp: Qmp;
  tap: string;
  at: Attachment;
  serial: string;
}

/** What QEMU reported of one live migration. */
export interface LiveMigration {
  /** From `migrate` to `completed`, ms. */
  totalMs: number;
  /** The guest's pause as QEMU measured it, ms. */
  downtimeMs: number;
  /** When the destination ran the guest again (its RESUME event, ms since the epoch). */
  resumedAt: number;
}

let taps = 0;
const live = new Set<ChildProcess>();
// A test that dies leaves no QEMU behind.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * A real VM for tests and the demo: Debian's QEMU (TCG: KVM fails on these machines), the
 * cloud kernel and a busybox initramfs (scripts/vm-image.sh), a tap on the access switch's
 * userspace OVS bridge at the declared port. It migrates as a cloud manager migrates a VM:
 * a destination QEMU with `-incoming` on a tap at the new switch and port, QMP `migrate` on
 * the source, and the source (paused once the migration completed, its tap still plugged)
 * stopped afterwards by `stopSource`.
 */
export class QemuVm {
  private current: Instance;
  private source: Instance | undefined;

  private constructor(readonly spec: VmSpec, private readonly dir: string, first: Instance) {
    this.current = first;
  }

  /** Boots the VM at `at` and resolves once its init says it is ready (about 5 s). */
  static async boot(spec: VmSpec, at: Attachment): Promise<QemuVm> {
    if (!existsSync(join(IMAGE, 'kernel')) || !existsSync(join(IMAGE, 'initramfs.gz'))) throw new Error(`the test VM's boot files are missing in ${IMAGE}: run 'make setup'`);
    const dir = mkdtempSync(join(tmpdir(), 'svcswitch-vm-'));
    const first = await start(spec, dir, at);
    const vm = new QemuVm(spec, dir, first);
    await until(() => readFileSync(first.serial, 'utf8').includes('svcswitch-vm: ready'), `${spec.name} to boot (serial: ${first.serial})`, 60_000, 100);
    return vm;
  }

  /** Where the running VM is plugged. */
  get at(): Attachment {
    return this.current.at;
  }

  /** Whether the source of the last migration still runs (paused), its tap plugged. */
  get sourceAlive(): boolean {
    return this.source !== undefined;
  }

  /** What the guest printed on its console (the running instance's). */
  console(): string {
    return readFileSync(this.current.serial, 'utf8');
  }

  /**
   * QEMU's live migration to `to`; resolves once QEMU says it completed. `started` is called
   * once the destination QEMU runs (waiting for the migration's data) with its tap plugged, as
   * libvirt's `started` hook is. `tap` names the destination's tap (OpenNebula's `one-<vm>-<nic>`;
   * default a name of the lab's). The source stays, paused, until stopSource().
   */
  async migrate(to: Attachment, { started, tap }: { started?: (tap: string) => Promise<void>; tap?: string } = {}): Promise<LiveMigration> {
    if (this.source) throw new Error(`${this.spec.name}: stop the source of the last migration first`);
    const port = await freePort();
    const dest = await start(this.spec, this.dir, to, `tcp:127.0.0.1:${port}`, tap);
    if (started) {
      try {
        await started(dest.tap);
      } catch (e) {
        await stop(dest);
        throw e;
      }
    }
    const began = Date.now();
    // The guest's pause at the end (set, so that a QEMU whose default changes does not change the test).
    await this.current.qmp.execute('migrate-set-parameters', { 'downtime-limit': DOWNTIME_LIMIT_MS });
    await this.current.qmp.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    let status = '';
    let info: { status?: string; 'total-time'?: number; downtime?: number; 'error-desc'?: string } = {};
    await until(async () => {
      info = (await this.current.qmp.execute('query-migrate')) as typeof info;
      status = info.status ?? '';
      return status === 'completed' || status === 'failed' || status === 'cancelled';
    }, `${this.spec.name}'s live migration to complete`, 120_000, 20);
    if (status !== 'completed') {
      await stop(dest);
      throw new Error(`${this.spec.name}: QEMU's migration ${status}: ${info['error-desc'] ?? ''}`);
    }
    await until(() => dest.qmp.events.some((e) => e.event === 'RESUME'), `${this.spec.name} to run at its destination`, 10_000, 10);
    this.source = this.current;
    this.current = dest;
    return { totalMs: info['total-time'] ?? Date.now() - began, downtimeMs: info.downtime ?? 0, resumedAt: dest.qmp.events.find((e) => e.event === 'RESUME')!.at };
  }

  /** What a cloud manager does once the migration finished: the paused source QEMU quits and its tap goes. */
  async stopSource(): Promise<void> {
    const s = this.source;
    this.source = undefined;
    if (s) await stop(s);
  }

  /** Every QEMU of this VM and their taps, gone. */
  async destroy(): Promise<void> {
    await this.stopSource();
    await stop(this.current);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function start(spec: VmSpec, dir: string, at: Attachment, incoming?: string, tap = `svm${process.pid % 10_000}t${taps++}`): Promise<Instance> {
  await sh('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  // A destination QEMU reads nothing from its tap until the guest runs there, but an orchestrated
  // migration bicasts to that port from the moment it is prepared: a second of traffic waits in
  // the tap. With the default queue (1,000) the kernel drops the newest packets once it is full,
  // and those are the ones sent while the guest pauses: 5-9 pings lost per correspondent with a
  // 46 ms pause. A deeper queue keeps them; they are answered late, not lost (docs/migration.md).
  await sh('ip', ['link', 'set', tap, 'txqueuelen', String(TAP_QUEUE)]);
  await sh('ip', ['link', 'set', tap, 'up']);
  await vsctl('add-port', at.switch, tap, '--', 'set', 'Interface', tap, `ofport_request=${at.port}`);
  const serial = join(dir, `${tap}.serial`);
  const qmpPath = join(dir, `${tap}.qmp`);
  const args = [
    '-accel', 'tcg', '-m', '256', '-display', 'none', '-no-reboot', '-nodefaults',
    '-kernel', join(IMAGE, 'kernel'), '-initrd', join(IMAGE, 'initramfs.gz'),
    '-append', `console=ttyS0 quiet panic=-1 svc.ip=${spec.address} svc.gw=${spec.gateway}${spec.address6 ? ` svc.ip6=${spec.address6} svc.gw6=${spec.gateway6 ?? ''}` : ''}`,
    '-serial', `file:${serial}`, '-qmp', `unix:${qmpPath},server=on,wait=off`,
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`,
    // The userspace datapath carries TCP only without checksum offload (docs: the veths' trap too).
    '-device', `virtio-net-pci,netdev=n0,mac=${spec.mac},csum=off,guest_csum=off`,
    ...(incoming ? ['-incoming', incoming] : []),
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  child.once('exit', () => live.delete(child));
  try {
    const qmp = await Qmp.open(qmpPath);
    return { child, qmp, tap, at, serial };
  } catch (e) {
    child.kill('SIGKILL');
    await removeTap(at.switch, tap);
    throw new Error(`QEMU did not start: ${(e as Error).message}; stderr: ${stderr}`);
  }
}

async function stop(i: Instance): Promise<void> {
  i.qmp.close();
  if (i.child.exitCode === null) {
    const exited = new Promise((r) => i.child.once('exit', r));
    i.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (i.child.exitCode === null) i.child.kill('SIGKILL');
  }
  await removeTap(i.at.switch, i.tap);
}

async function removeTap(bridge: string, tap: string): Promise<void> {
  await vsctl('--if-exists', 'del-port', bridge, tap).catch(() => undefined);
  await sh('ip', ['link', 'del', tap]).catch(() => undefined);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}
