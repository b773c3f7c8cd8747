import { DEFAULT_CONFIG, type ControllerConfig } from '../src/app/config.js';
import type { Svcswitch } from '../src/app/svcswitch.js';
import { PIPELINE } from '../src/controller/pipeline.js';
import { loadTopology } from '../src/topology/loader.js';
import type { Topology } from '../src/topology/model.js';
import { memoryLogger } from './memory-logger.js';
import { ScriptedSwitch, port as switchPort } from './scripted-switch.js';
import { ScriptedTables } from './scripted-tables.js';
import { startSvcswitch } from './svcswitch.js';
import { until } from './wait.js';

const file = loadTopology('topologies/dc-small.yaml');
/** dc-small with net3's pool cut to two CoAs: a third VM finds it exhausted. */
export const RIG_TOPOLOGY: Topology = { ...file, subnets: file.subnets.map((s) => (s.name === 'net3' ? { ...s, coaPool: { first: '10.0.3.200', last: '10.0.3.201' } } : s)) };
const { min: GROUP_MIN, max: GROUP_MAX } = PIPELINE.migration.groups;

export interface Rig {
  app: Svcswitch;
  tables: Map<string, ScriptedTables>;
  switches: Map<string, ScriptedSwitch>;
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  apiPort: number;
  /** What the controller logged. */
  lines: Array<Record<string, unknown>>;
  close: () => Promise<void>;
}

export interface RigOptions {
  migration?: Partial<ControllerConfig['migration']>;
  /** Kept in SQLite there (default: in memory). */
  stateDir?: string;
  /** The switches' tables from an earlier rig: the same switches, reconnecting to a restarted controller. */
  tables?: Map<string, ScriptedTables>;
  /** The REST API's request timeout. */
  apiRequestTimeoutMs?: number;
  /** Another datacenter than RIG_TOPOLOGY (its switches acc1-acc3 still the scripted ones). */
  topology?: Topology;
}

/**
 * svcswitch on RIG_TOPOLOGY (mobile-ip by default: only Home and Foreign hold entries), with
 * acc1, acc2 and acc3 as scripted switches with real flow and group tables; acc4 and the
 * aggregation and core switches never connect.
 */
export async function migrationRig(timeoutMs: number, options: RigOptions = {}): Promise<Rig> {
  const { logger, lines } = memoryLogger();
  const topology = options.topology ?? RIG_TOPOLOGY;
  const { app, port, apiPort } = await startSvcswitch(topology, logger, {
    migration: { ...DEFAULT_CONFIG.migration, mode: 'mobile-ip', timeoutMs, ...options.migration },
    stateDir: options.stateDir,
    ...(options.apiRequestTimeoutMs === undefined ? {} : { apiRequestTimeoutMs: options.apiRequestTimeoutMs }),
  });
  const tables = new Map<string, ScriptedTables>();
  const switches = new Map<string, ScriptedSwitch>();
  for (const name of ['acc1', 'acc2', 'acc3']) {
    const declared = [...topology.links.flatMap((l) => [l.a, l.b]), ...topology.hosts].filter((e) => e.switch === name).map((e) => e.port);
    const t = options.tables?.get(name) ?? new ScriptedTables(4);
    const dpid = BigInt(`0x${topology.switches.find((s) => s.name === name)!.dpid}`);
    switches.set(name, await ScriptedSwitch.connect(port, dpid, [4], (sw) => {
      sw.ports = [...new Set([...declared, 5, 6, 7])].map((p) => switchPort(p, `${name}-eth${p}`));
      t.install(sw);
    }));
    tables.set(name, t);
  }
  await until(() => ['acc1', 'acc2', 'acc3'].every((n) => app.topology.switchList().find((s) => s.name === n)?.connected), 'acc1, acc2 and acc3 connected');
  await app.settled();
  const call: Rig['call'] = async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    app, tables, switches, call, apiPort, lines,
    close: async () => {
      for (const sw of switches.values()) sw.destroy();
      await app.stop();
    },
  };
}

/** What the migration holds on a scripted switch: its flows (priority and match) and its groups. */
export function held(t: ScriptedTables): { flows: string[]; groups: number[] } {
  return {
    flows: [...t.flows.values()].filter((f) => f.cookie === PIPELINE.migration.cookie).map((f) => `${f.priority} ${JSON.stringify(f.match)}`).sort(),
    groups: [...t.groups.keys()].filter((g) => g >= GROUP_MIN && g <= GROUP_MAX).sort(),
  };
}
