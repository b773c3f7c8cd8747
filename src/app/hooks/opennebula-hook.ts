import { ONE_LCM_STATE, ONE_STATE, oneVm } from './opennebula-vm.js';
import { type ControllerApi, type LocalSwitch, placeOfTap, prepareAtTap } from './tap-migration.js';

export interface OneHookDeps {
  api: ControllerApi;
  ovs: LocalSwitch;
  log: (line: string) => void;
  /** This hypervisor's name as OpenNebula knows it (the `HOSTNAME` of its history records). */
  host: string;
  /** The migrations' timeout: long enough for the live migration of a VM of several GiB. */
  timeoutMs: number;
  /** How long to wait for the destination's tap to be plugged (libvirt makes it once OpenNebula started the migration). */
  tapWaitMs: number;
  sleep: (ms: number) => Promise<void>;
}

/** How often the tap's port is asked for while the destination QEMU starts. */
const TAP_POLL_MS = 100;

/**
 * OpenNebula's state hook (`TYPE = state`, `RESOURCE = VM`, `REMOTE = yes`, `ARGUMENTS =
 * $TEMPLATE`), run on the host where the VM is by OpenNebula's record, for two states:
 * - ACTIVE/MIGRATE (a live migration began; the VM's last history record is the
 *   destination, where the hook runs): once the tap of each NIC is plugged here, the VM's
 *   migration is prepared to the tap's switch and port. The switchover comes with the VM's
 *   first frame there (QEMU's RARP);
 * - ACTIVE/RUNNING: a pending migration of the VM that goes where it runs now is completed
 *   (if its frame has not done so already); one that goes elsewhere is cancelled (OpenNebula's
 *   live migration failed, and the VM runs on at its source).
 * Every other state, and a call on a host that is not the VM's, does nothing. Returns the exit
 * code: 0, or 1 when a migration could not be prepared or ended (OpenNebula records the hook's
 * stderr and lets the operator retry it: `onehook retry`).
 */
export async function openNebulaHook(template: string, deps: OneHookDeps): Promise<number> {
  const vm = oneVm(template);
  if (vm.state !== ONE_STATE.ACTIVE) return 0;
  const migrating = vm.lcmState === ONE_LCM_STATE.MIGRATE;
  if (!migrating && vm.lcmState !== ONE_LCM_STATE.RUNNING) return 0;
  const here = vm.hosts.at(-1);
  if (here !== deps.host) {
    deps.log(`svcswitch hook: VM ${vm.id} is on ${here ?? 'no host'} by its history, not on ${deps.host}: nothing to do here (is the hook REMOTE = yes?)`);
    return 0;
  }
  let failed = 0;
  for (const nic of vm.nics) {
    try {
      if (migrating) await prepareAtTap(nic, deps, (tap) => tapPlugged(tap, deps));
      else await settle(nic, deps);
    } catch (e) {
      failed++;
      deps.log(`svcswitch hook: VM ${vm.id} ${nic.mac}: ${(e as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Waits (bounded) until libvirt plugged the destination's tap and OVS gave it a port. */
async function tapPlugged(tap: string | undefined, deps: OneHookDeps): Promise<void> {
  if (tap === undefined) return;
  for (let waited = 0; (await deps.ovs.ofport(tap)) === undefined; waited += TAP_POLL_MS) {
    if (waited >= deps.tapWaitMs) throw new Error(`tap ${tap} was not plugged within ${deps.tapWaitMs} ms`);
    await deps.sleep(TAP_POLL_MS);
  }
}

/** The VM runs here: its pending migration that comes here completes, any other is cancelled. */
async function settle(nic: { mac: string; bridge: string | undefined; tap: string | undefined }, deps: OneHookDeps): Promise<void> {
  const host = await deps.api.hostByMac(nic.mac);
  if (host?.ip === undefined) return;
  const pending = await deps.api.pending(host.ip);
  if (pending.length === 0) return;
  const at = await placeOfTap(nic, deps.api, deps.ovs);
  for (const m of pending) {
    const arrived = m.to.switch === at.switch && m.to.port === at.port;
    const ended = await endOnce(m.id, () => (arrived ? deps.api.complete(m.id) : deps.api.cancel(m.id)), deps.api);
    const where = arrived ? '' : `, not at ${m.to.switch}:${m.to.port}`;
    deps.log(`svcswitch hook: ${nic.mac} (${host.ip}) runs at ${at.switch}:${at.port}${where}: migration ${m.id} ${ended}`);
  }
}

/**
 * Completes or cancels a migration, unless it ended meanwhile (the VM's first frame switches
 * over at any moment): the status it has in the end; throws only when it is still pending.
 */
async function endOnce(id: string, end: () => Promise<void>, api: ControllerApi): Promise<string> {
  try {
    await end();
  } catch (e) {
    const status = await api.status(id);
    if (status === undefined || status === 'preparing' || status === 'prepared') throw e;
  }
  return (await api.status(id)) ?? 'ended';
}
