import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { until } from './wait.js';

/** A free loopback TCP port (the OS picks one, which is then let go). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * `svcswitch run` as its own process, as an operator runs it: what a test needs to kill it
 * with SIGKILL and start it again on the same ports and state dir. Its JSON log lines are kept.
 */
export class ControllerProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  /** When its API first answered (ms since the epoch). */
  readyAt = 0;
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly apiPort: number,
    /** When the process was spawned (ms since the epoch). */
    readonly spawnedAt: number,
  ) {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ message: line });
      }
    });
    child.once('exit', () => (this.exited = true));
  }

  /** Spawns `node dist/src/cli.js run ARGS --api-listen 127.0.0.1:apiPort --log-format json` and waits until its API answers. */
  static async start(args: readonly string[], apiPort: number, timeoutMs = 15_000): Promise<ControllerProcess> {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, ['dist/src/cli.js', 'run', ...args, '--api-listen', `127.0.0.1:${apiPort}`, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const p = new ControllerProcess(child, apiPort, spawnedAt);
    try {
      await until(async () => {
        if (p.exited) throw new Error(`svcswitch exited: ${JSON.stringify(p.lines.slice(-5))}`);
        return (await p.call('GET', '/api/health').catch(() => undefined))?.status === 200;
      }, 'the controller\'s API', timeoutMs, 20);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    p.readyAt = Date.now();
    return p;
  }

  /** A call of its REST API: the status, the JSON body, and in a cluster the member that answered (x-svcswitch-answered-by). */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; answeredBy: string | null }> {
    const res = await fetch(`http://127.0.0.1:${this.apiPort}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, answeredBy: res.headers.get('x-svcswitch-answered-by') };
  }

  async health(): Promise<{ switchesConnected: number; switchesDeclared: number; tablesInSync: boolean; flowModsSent: number; driftRepaired: number }> {
    return (await this.call('GET', '/api/health')).body as never;
  }

  /** kill -9: no handler runs, nothing is flushed or closed. */
  async kill9(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** A signal as is (SIGSTOP freezes it, SIGCONT resumes it). */
  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL if it is still there after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
