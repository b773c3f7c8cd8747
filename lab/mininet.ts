import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sh } from './ovs.js';

const PYTHON = '/usr/bin/python3';

/**
 * Drives mininet/dc.py --control: one JSON request a line, one JSON answer a line. The
 * network is always stopped (quit, then SIGTERM, then `mn -c` as a last resort).
 */
export class MininetDc {
  private readonly answers: Array<(line: string) => void> = [];
  private readonly stderr: string[] = [];
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.answers.shift()?.(line));
    child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    child.once('exit', () => {
      this.exited = true;
      for (const a of this.answers.splice(0)) a(JSON.stringify({ ok: false, error: `dc.py exited: ${this.stderr.join('').slice(-2000)}` }));
    });
  }

  /** Fails loudly when Mininet is not installed: these tests exist to run it. */
  /** `protocol` ssl: the switches connect over TLS with the certificate `ovs-vsctl set-ssl` gave Open vSwitch. */
  /** `vms`: declared hosts that are real VMs (lab/qemu-vm.ts): Mininet makes no host for them. */
  /** `controllerPort`: one controller, or a cluster's members (every switch connects to each). */
  static async start(topologyFile: string, controllerPort: number | readonly number[], { timeoutMs = 120_000, protocol = 'tcp', vms = [] }: { timeoutMs?: number; protocol?: 'tcp' | 'ssl'; vms?: readonly string[] } = {}): Promise<MininetDc> {
    try {
      await sh(PYTHON, ['-c', 'import mininet.net']);
    } catch (e) {
      throw new Error(`Mininet is required (Debian package mininet, for ${PYTHON}); run 'make setup': ${(e as Error).message}`);
    }
    const child = spawn(PYTHON, ['mininet/dc.py', '--topology', topologyFile, '--controller', [controllerPort].flat().map((p) => `${protocol}:127.0.0.1:${p}`).join(','), '--control', ...vms.flatMap((v) => ['--vm', v])], { stdio: 'pipe' });
    const dc = new MininetDc(child);
    // A dc.py that hangs while starting (it happened once, waiting on a node's shell) is stopped too, or it outlives the test.
    const ready = await dc.next(timeoutMs).catch(async (e: unknown) => {
      await dc.stop();
      throw e;
    });
    if (!ready.ready) {
      await dc.stop();
      throw new Error(`dc.py did not start: ${JSON.stringify(ready)}`);
    }
    return dc;
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from dc.py within ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`)), timeoutMs);
      this.answers.push((line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          reject(new Error(`dc.py said: ${line}`));
        }
      });
    });
  }

  /** Sends a request; rejects when dc.py reports a failure. */
  async do(req: Record<string, unknown>, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    if (this.exited) throw new Error('dc.py has exited');
    const answer = this.next(timeoutMs);
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const a = await answer;
    if (a.ok !== true) throw new Error(`dc.py ${String(req.op)} failed: ${String(a.error)}`);
    return a;
  }

  ping(src: string, dst: string, count = 3): Promise<{ sent: number; received: number; output: string }> {
    return this.do({ op: 'ping', src, dst, count }) as Promise<{ sent: number; received: number; output: string }>;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const wait = (ms: number): Promise<boolean> => Promise.race([gone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    if (await wait(30_000)) return;
    this.child.kill('SIGTERM');
    if (await wait(15_000)) return;
    this.child.kill('SIGKILL');
    await sh('mn', ['-c']).catch(() => {});
  }
}
