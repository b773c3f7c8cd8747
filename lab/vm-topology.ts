import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A declared host that a real VM plays, as a topology file's host line says it. */
export interface DeclaredVm {
  name: string;
  mac: string;
  ip: string;
  /** A dual-stack VM's IPv6 address. */
  ip6?: string;
  switch: string;
  port: number;
}

/** A host behind a hypervisor (its switch and port are the hypervisor's). */
export interface HostBehind {
  name: string;
  mac: string;
  ip: string;
  hypervisor: string;
}

/**
 * A copy of topology file `base` with `hosts` declared among its hosts (and `hypervisors`
 * before them); returns the copy's path.
 */
export function topologyWith(base: string, hosts: ReadonlyArray<DeclaredVm | HostBehind>, hypervisors: ReadonlyArray<{ name: string; switch: string; port: number }> = []): string {
  const lines = readFileSync(base, 'utf8').split('\n');
  const at = lines.findIndex((l) => /^hosts:\s*$/.test(l));
  if (at < 0) throw new Error(`${base}: no top-level "hosts:" list to add hosts to`);
  lines.splice(at + 1, 0, ...hosts.map((h) => `  - { name: ${h.name}, mac: "${h.mac}", ip: ${h.ip}, ${'ip6' in h && h.ip6 ? `ip6: "${h.ip6}", ` : ''}${'hypervisor' in h ? `hypervisor: ${h.hypervisor}` : `switch: ${h.switch}, port: ${h.port}`} }`));
  if (hypervisors.length > 0) lines.splice(at, 0, 'hypervisors:', ...hypervisors.map((v) => `  - { name: ${v.name}, switch: ${v.switch}, port: ${v.port} }`));
  const file = join(mkdtempSync(join(tmpdir(), 'svcswitch-topology-')), 'with-hosts.yaml');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** A copy of topology file `base` with `vm` declared among its hosts; returns the copy's path. */
export const topologyWithVm = (base: string, vm: DeclaredVm): string => topologyWith(base, [vm]);
