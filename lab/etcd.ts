import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { DEFAULT_CLUSTER_OPTIONS, etcdClient, type ClusterOptions } from '../src/cluster/etcd-mastership.js';
import { freePort } from './controller-process.js';
import { sh } from './ovs.js';
import { until } from './wait.js';

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child: ChildProcess | undefined;
}

/**
 * A cluster of etcd members on loopback (Debian's etcd-server), each in a data directory of
 * its own (on /dev/shm when there is one: no disk in the way of a lease). Members can be killed
 * and started again on the same directory, as an operator's would.
 */
export class EtcdCluster {
  /** Each member's last stderr lines, at most 5. */
  private readonly stderr = new Map<string, string[]>();

  private constructor(
    private readonly members: EtcdMember[],
    private readonly root: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    try {
      await sh('etcd', ['--version']);
    } catch (e) {
      throw new Error(`etcd is required (Debian package etcd-server); run 'make setup': ${(e as Error).message}`);
    }
    // A cluster that does not come up is started once more on other ports, saying why: a port another process took
    // between freePort() and etcd's bind is a likely cause (a fresh-clone run failed so once, and etcd's output was not kept).
    for (let attempt = 1; ; attempt++) {
      const cluster = await EtcdCluster.spawnAll(size);
      try {
        await until(async () => (await cluster.health()).every(Boolean), 'every etcd member healthy', 30_000, 200);
        return cluster;
      } catch (e) {
        const why = `${(e as Error).message}; health ${JSON.stringify(await cluster.health())}; etcd said: ${cluster.said() || 'nothing'}`;
        await cluster.stop();
        if (attempt === 2) throw new Error(why);
        process.stderr.write(`etcd cluster not healthy, starting it again on other ports: ${why}\n`);
      }
    }
  }

  private static async spawnAll(size: number): Promise<EtcdCluster> {
    const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'svcswitch-etcd-'));
    const ports = new Set<number>();
    while (ports.size < 2 * size) ports.add(await freePort());
    const [...free] = ports;
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) members.push({ name: `etcd${i}`, clientPort: free[2 * i]!, peerPort: free[2 * i + 1]!, dataDir: join(root, `etcd${i}`), child: undefined });
    const cluster = new EtcdCluster(members, root);
    for (let i = 0; i < size; i++) cluster.spawn(i, 'new');
    return cluster;
  }

  /** The last lines each member wrote to stderr (errors only: --log-level error), for a failure's message. */
  said(): string {
    return this.members.map((m) => (this.stderr.get(m.name) ?? []).join(' | ')).filter((t) => t !== '').join('; ');
  }

  /** etcd://HOST:PORT,... as `svcswitch run --cluster` takes it. */
  get url(): string {
    return `etcd://${this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',')}`;
  }

  /** Its members' client URLs, http://HOST:PORT, as the etcd client takes them. */
  get endpoints(): string[] {
    return this.members.map((m) => `http://127.0.0.1:${m.clientPort}`);
  }

  /** A client of this cluster with svcswitch's own settings (deadlines on every call), `options` over them. */
  client(options: Partial<Pick<ClusterOptions, 'callTimeoutMs' | 'keepAliveMs'>> = {}): Etcd3 {
    return etcdClient({ ...DEFAULT_CLUSTER_OPTIONS, endpoints: this.endpoints, ...options });
  }

  get size(): number {
    return this.members.length;
  }

  private spawn(i: number, state: 'new' | 'existing'): void {
    const m = this.members[i]!;
    const initial = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    m.child = spawn('etcd', [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', initial, '--initial-cluster-state', state, '--initial-cluster-token', 'svcswitch-test',
      // Timings for a datacenter LAN (etcd's defaults, 100/1000 ms, are for a WAN's round trips): a leader lost is replaced
      // in about half a second, well inside what a member's lease allows without a keep-alive (docs/cluster.md).
      '--heartbeat-interval', '50', '--election-timeout', '500',
      // A member that comes back asks before it calls an election (3.5's default): it never deposes a working leader.
      '--pre-vote',
      '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    m.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = [...(this.stderr.get(m.name) ?? []), ...chunk.split('\n').filter((l) => l.trim() !== '')];
      this.stderr.set(m.name, lines.slice(-5).map((l) => l.slice(0, 300)));
    });
  }

  /** Whether each member answers. */
  async health(): Promise<boolean[]> {
    return Promise.all(this.members.map(async (m) => {
      const r = await fetch(`http://127.0.0.1:${m.clientPort}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      return r?.ok === true && ((await r.json()) as { health?: string }).health === 'true';
    }));
  }

  /** The index of the member that leads now. */
  async leader(): Promise<number> {
    const out = await sh('etcdctl', ['--endpoints', this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(','), 'endpoint', 'status', '--write-out=json']);
    const status = JSON.parse(out) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
    const i = status.findIndex((s) => s.Status.header.member_id === s.Status.leader);
    if (i < 0) throw new Error(`no etcd leader: ${out}`);
    return this.members.findIndex((m) => status[i]!.Endpoint.endsWith(`:${m.clientPort}`));
  }

  /** kill -9 of member `i`. */
  async kill(i: number): Promise<void> {
    const child = this.members[i]!.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** Member `i` again, on its data directory. */
  restart(i: number): void {
    this.spawn(i, 'existing');
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Three etcd members for the tests of one file: started before them, stopped after, with an
 * `admin` client to read and write keys as the election would.
 */
export function etcdForTheseTests(): { readonly cluster: EtcdCluster; readonly admin: Etcd3 } {
  const fixture: { cluster?: EtcdCluster; admin?: Etcd3 } = {};
  before(async () => {
    fixture.cluster = await EtcdCluster.start(3);
    fixture.admin = fixture.cluster.client();
  });
  after(async () => {
    fixture.admin?.close();
    await fixture.cluster?.stop();
  });
  return {
    get cluster() {
      return fixture.cluster!;
    },
    get admin() {
      return fixture.admin!;
    },
  };
}
