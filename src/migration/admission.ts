import type { Topology } from '../topology/model.js';
import { linkPortsOf } from '../topology/model.js';
import { networkOf, type Network } from '../topology/networks.js';
import { declaredIp6 } from './address-family.js';
import type { Binding, MigrationMode, MigrationRecord } from './binding-store.js';
import { MigrationError } from './migration-error.js';

export interface MigrationRequest {
  hoa: string;
  switch: string;
  port: number;
  mode?: MigrationMode;
  /** Rolled back if not completed within this (default: --migration-timeout); a VM of several GiB takes minutes to migrate. */
  timeoutMs?: number;
}

/** What admission reads: the declared datacenter, the VMs the controller knows, and the migration's state. */
export interface AdmissionView {
  declared: Topology | undefined;
  /** The subnets VMs live in (external networks excluded). */
  networks: readonly Network[];
  hostByIp(ip: string): { mac: string; switch: string; port: number } | undefined;
  inFlight(hoa: string): boolean;
  binding(hoa: string): Binding | undefined;
  /** The mode of a request that names none and whose VM has no binding (--migration-mode). */
  defaultMode: MigrationMode;
}

/** A request admitted: who moves, from where, into which subnet, in which mode. */
export interface Admission {
  hoa: string;
  mac: string;
  home: Network;
  target: Network;
  from: MigrationRecord['from'];
  binding: Binding | undefined;
  mode: MigrationMode;
  /** Where the topology file declares the VM (its Home place). */
  declaredAt: { switch: string; port: number };
  /** The VM already holds a CoA of the target subnet (a move inside its Foreign switch): none is taken. */
  coaWasHeld: boolean;
}

/**
 * Whether `req` may start a migration, and what it is; a MigrationError (400, 404, 409) with
 * the reason otherwise. Pure: it reads `view` and changes nothing.
 */
export function admit(req: MigrationRequest, view: AdmissionView): Admission {
  const declared = view.declared;
  if (!declared) throw new MigrationError(400, 'migration needs a topology file');
  const host = view.hostByIp(req.hoa);
  const home = networkOf(view.networks, req.hoa);
  if (!host || !home) throw new MigrationError(404, `no VM with address ${req.hoa}`);
  if (!declared.switches.some((s) => s.name === req.switch)) throw new MigrationError(404, `no switch named "${req.switch}"`);
  if (linkPortsOf(declared, req.switch).includes(req.port)) throw new MigrationError(400, `${req.switch}:${req.port} joins two switches; a VM attaches at a host port`);
  const target = view.networks.find((n) => n.switch === req.switch);
  if (!target) throw new MigrationError(400, `${req.switch} serves no subnet; a VM attaches at an access switch`);
  if (view.inFlight(req.hoa)) throw new MigrationError(409, `a migration of ${req.hoa} is already in flight`);
  const binding = view.binding(req.hoa);
  const from: MigrationRecord['from'] = binding
    ? { switch: binding.switch, port: binding.port, coa: binding.coa, subnet: binding.subnet }
    : { switch: host.switch, port: host.port, coa: undefined, subnet: home.name };
  if (from.switch === req.switch && from.port === req.port) throw new MigrationError(409, `${req.hoa} is already at ${req.switch}:${req.port}`);
  if (from.switch === req.switch || (!binding && target.name === home.name)) {
    throw new MigrationError(409, `${req.hoa} is already in ${target.name}; a move inside a subnet is followed where the VM is seen, not migrated`);
  }
  // A dual-stack VM keeps both its addresses: a subnet without an IPv6 side has no IPv6 CoA to give it (docs/ipv6.md).
  const hoa6 = declaredIp6(declared, req.hoa);
  if (hoa6 !== undefined && target.name !== home.name && !target.ipv6) {
    throw new MigrationError(409, `${req.hoa} is dual-stack (${hoa6}) and ${target.name} has no IPv6 side: its IPv6 connections would not survive the move`);
  }
  // Home is where the topology file declares the VM: back in its Home Network it is at its declared port, or host learning would not take it there.
  if (binding && target.name === home.name && (binding.home.switch !== req.switch || binding.home.port !== req.port)) {
    throw new MigrationError(409, `${req.hoa} returns to ${home.name} at its declared port ${binding.home.switch}:${binding.home.port}, not ${req.switch}:${req.port}`);
  }
  return {
    hoa: req.hoa,
    mac: host.mac,
    home,
    target,
    from,
    binding,
    mode: req.mode ?? binding?.mode ?? view.defaultMode,
    declaredAt: binding?.home ?? { switch: host.switch, port: host.port },
    coaWasHeld: binding?.subnet === target.name,
  };
}
