import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** OpenNebula's life-cycle states the hook is defined for (src/app/hooks/opennebula-vm.ts). */
export type OneLcmState = 'RUNNING' | 'MIGRATE';

/**
 * The test VM's template as an OpenNebula state hook receives it (`$TEMPLATE`: the VM's XML,
 * test/app/fixtures/opennebula-vm.xml, base64): in `lcm`, its history from `source` to `host`,
 * its first NIC on `bridge` with the tap `tap`.
 */
export function vmTemplate(t: { lcm: OneLcmState; source: string; host: string; bridge: string; tap: string }): string {
  const xml = readFileSync('test/app/fixtures/opennebula-vm.xml', 'utf8')
    .replace('__LCM_STATE__', t.lcm === 'RUNNING' ? '3' : '4')
    .replace('__SOURCE__', t.source)
    .replace('__HOST__', t.host)
    .replace('__BRIDGE__', t.bridge)
    .replace('__TAP__', t.tap);
  return Buffer.from(xml).toString('base64');
}

/**
 * OpenNebula's hook execution manager running `svcswitch hook opennebula $TEMPLATE` with
 * `REMOTE = yes` on a hypervisor: the real command, as a process. Each access switch stands
 * for a hypervisor of its own (`--host`).
 */
export class OpenNebulaHooks {
  constructor(private readonly apiPort: number) {}

  /** Runs the hook on `host`; resolves with its exit code and stderr. */
  call(host: string, template: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('node', ['dist/src/cli.js', 'hook', 'opennebula', '--api', `http://127.0.0.1:${this.apiPort}`, '--host', host, '--tap-wait', '30000', template], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? -1, stderr }));
    });
  }
}
