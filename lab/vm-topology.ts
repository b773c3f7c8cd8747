import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A declared host that a real VM plays, as a topology file's host line says it. */
export interface DeclaredVm {
  name: string;
  mac: string;
  ip: string;
  switch: string;
  port: number;
}

/** A copy of topology file `base` with `vm` declared among its hosts; returns the copy's path. */
export function topologyWithVm(base: string, vm: DeclaredVm): string {
  const lines = readFileSync(base, 'utf8').split('\n');
  const at = lines.findIndex((l) => /^hosts:\s*$/.test(l));
  if (at < 0) throw new Error(`${base}: no top-level "hosts:" list to add ${vm.name} to`);
  lines.splice(at + 1, 0, `  - { name: ${vm.name}, mac: "${vm.mac}", ip: ${vm.ip}, switch: ${vm.switch}, port: ${vm.port} }`);
  const file = join(mkdtempSync(join(tmpdir(), 'svcswitch-topology-')), 'with-vm.yaml');
  writeFileSync(file, lines.join('\n'));
  return file;
}
