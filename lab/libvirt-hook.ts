import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** libvirt's domain XML of the test VM (test/app/fixtures/libvirt-domain.xml) on `bridge`, its tap `tap` (none before it starts). */
export function domainXml(bridge: string, tap: string | undefined): string {
  const xml = readFileSync('test/app/fixtures/libvirt-domain.xml', 'utf8').replace('__BRIDGE__', bridge);
  return tap === undefined ? xml.replace("<target dev='__TAP__'/>", '') : xml.replace('__TAP__', tap);
}

/**
 * libvirt calling `svcswitch hook libvirt` on a hypervisor: the real command, as a process,
 * with the arguments and the domain XML on stdin as libvirt passes them. Each access switch
 * stands for a hypervisor of its own, with its own state directory.
 */
export class LibvirtHooks {
  private readonly dirs = new Map<string, string>();

  constructor(private readonly apiPort: number, private readonly domain = 'vm1') {}

  /** Runs the hook on the hypervisor of `host` (a switch name); resolves with its exit code and stderr. */
  call(host: string, operation: string, sub: string, xml: string): Promise<{ code: number; stderr: string }> {
    let dir = this.dirs.get(host);
    if (dir === undefined) {
      dir = mkdtempSync(join(tmpdir(), `svcswitch-hook-${host}-`));
      this.dirs.set(host, dir);
    }
    return new Promise((resolve, reject) => {
      const child = spawn('node', ['dist/src/cli.js', 'hook', 'libvirt', '--api', `http://127.0.0.1:${this.apiPort}`, '--state-dir', dir, this.domain, operation, sub, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? -1, stderr }));
      child.stdin.end(xml);
    });
  }
}
