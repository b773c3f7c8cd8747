import { domainInterfaces } from './libvirt-domain.js';
import { type ControllerApi, type LocalSwitch, prepareAtTap } from './tap-migration.js';

/** Between the hook's calls (each is a process of its own): the domains migrating in, and their migrations. */
export interface HookState {
  read(domain: string): { incoming: boolean; migrations: string[] } | undefined;
  write(domain: string, s: { incoming: boolean; migrations: string[] }): void;
  remove(domain: string): void;
}

export interface HookDeps {
  api: ControllerApi;
  ovs: LocalSwitch;
  state: HookState;
  log: (line: string) => void;
  /** The migrations' timeout: long enough for the live migration of a VM of several GiB. */
  timeoutMs: number;
}

/**
 * libvirt's QEMU hook (`/etc/libvirt/hooks/qemu DOMAIN OPERATION SUB-OPERATION EXTRA`, the
 * domain XML on stdin), on the destination host of a live migration:
 * - `migrate begin`: a domain is migrating in; remembered;
 * - `started begin`: its QEMU runs (paused, waiting for the migration's data) and its taps are
 *   plugged: for each interface whose MAC the controller knows, a migration is prepared to the
 *   tap's switch (the bridge's datapath id) and port (its ofport). The switchover comes when
 *   the VM runs there and sends its first frame (QEMU's RARP);
 * - `stopped end` / `release end` of a domain still migrating in: the migration failed or was
 *   aborted; its prepared migrations are cancelled.
 * Every other call, and every call on the source host, does nothing. Returns the exit code:
 * 0, or 1 when a migration could not be prepared (libvirt logs the hook's stderr).
 */
export async function libvirtHook(domain: string, operation: string, sub: string, xml: string, deps: HookDeps): Promise<number> {
  if (operation === 'migrate' && sub === 'begin') {
    deps.state.write(domain, { incoming: true, migrations: [] });
    return 0;
  }
  if (operation === 'started' && sub === 'begin') {
    const pending = deps.state.read(domain);
    if (!pending?.incoming) return 0;
    let failed = 0;
    for (const i of domainInterfaces(xml).interfaces) {
      try {
        const id = await prepareAtTap(i, deps);
        if (id !== undefined) pending.migrations.push(id);
      } catch (e) {
        failed++;
        deps.log(`svcswitch hook: ${domain} ${i.mac}: ${(e as Error).message}`);
      }
    }
    deps.state.write(domain, pending);
    return failed > 0 ? 1 : 0;
  }
  if ((operation === 'stopped' || operation === 'release') && sub === 'end') {
    const pending = deps.state.read(domain);
    deps.state.remove(domain);
    for (const id of pending?.migrations ?? []) {
      const status = await deps.api.status(id);
      if (status === 'preparing' || status === 'prepared') {
        await deps.api.cancel(id);
        deps.log(`svcswitch hook: ${domain} stopped before it ran here: migration ${id} cancelled`);
      }
    }
    return 0;
  }
  return 0;
}
