import type { Register } from './program.js';
import { UsageError } from './usage-error.js';
import { readBoundedFile } from '../../files/bounded-read.js';
import { createSecureContext } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { hostname } from 'node:os';
import { readTokenFile } from '../../api/bearer-token.js';
import { TopologyError } from '../../topology/errors.js';
import { loadTopology } from '../../topology/loader.js';
import type { Topology } from '../../topology/model.js';
import { DEFAULT_CONFIG, parseListen, type ControllerConfig } from '../config.js';
import { buildSvcswitch } from '../container.js';
import type { Svcswitch } from '../svcswitch.js';
import { MIGRATION_MODES, type MigrationMode } from '../../migration/binding-store.js';
import { defaultStateDir } from '../../state/database.js';

const isMode = (m: string): m is MigrationMode => (MIGRATION_MODES as readonly string[]).includes(m);

/** Runs `fn` (reading a flag's file, checking it), and turns what it throws into a usage error naming the flag. */
function forFlag<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** A PEM file holds a key or a few certificates. */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

const readToken = (file: string): string => forFlag('--api-token-file', () => readTokenFile(file));
const readPem = (flag: string, file: string): Buffer => forFlag(flag, () => readBoundedFile(file, MAX_PEM_FILE_BYTES));

/** The three TLS files, read and checked together (a key that does not match its certificate is found here, not at the first switch). */
function ofTls(key: string | undefined, cert: string | undefined, ca: string | undefined, bindDpid: boolean): { ofTls?: { key: Buffer; cert: Buffer; ca: Buffer; bindDpid: boolean } } {
  if (key === undefined && cert === undefined && ca === undefined) {
    if (bindDpid) throw new UsageError('--of-tls-bind-dpid needs --of-tls-key, --of-tls-cert and --of-tls-ca');
    return {};
  }
  if (key === undefined || cert === undefined || ca === undefined) throw new UsageError('--of-tls-key, --of-tls-cert and --of-tls-ca go together');
  const files = { key: readPem('--of-tls-key', key), cert: readPem('--of-tls-cert', cert), ca: readPem('--of-tls-ca', ca) };
  forFlag(`--of-tls-key ${key}, --of-tls-cert ${cert}, --of-tls-ca ${ca}`, () => createSecureContext(files));
  return { ofTls: { ...files, bindDpid } };
}

/** The flags of `run`, as commander gives them. */
interface RunFlags {
  ofListen?: string;
  topology?: string;
  apiListen?: string;
  logLevel?: string;
  logFormat?: string;
  echoInterval?: string;
  lldpInterval?: string;
  acceptUndeclaredSwitches?: boolean;
  migrationMode?: string;
  migrationTimeout?: string;
  migrations?: string;
  stateDir?: string;
  holdDown?: string;
  auditInterval?: string;
  apiTokenFile?: string;
  ofTlsKey?: string;
  ofTlsCert?: string;
  ofTlsCa?: string;
  ofTlsBindDpid?: boolean;
  cluster?: string;
  memberId?: string;
}

/** `--cluster etcd://HOST:PORT,HOST:PORT` and `--member-id NAME`: etcd's client URLs and this member's name. */
function parseCluster(cluster: string | undefined, memberId: string | undefined): Pick<ControllerConfig, 'cluster'> {
  if (cluster === undefined) {
    if (memberId !== undefined) throw new UsageError('--member-id: only with --cluster');
    return {};
  }
  const m = /^etcd:\/\/(.+)$/.exec(cluster);
  if (!m) throw new UsageError(`--cluster: "${cluster}" is not etcd://HOST:PORT[,HOST:PORT...]`);
  const endpoints = m[1]!.split(',').map((hp) => {
    const at = parseListen('--cluster', hp);
    return `http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`;
  });
  const id = memberId ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(id)) throw new UsageError(`--member-id: "${id}" is not a name of letters, digits, '.', '_' and '-' (64 at most)`);
  return { cluster: { endpoints, memberId: id } };
}

function parseConfig(values: RunFlags): ControllerConfig {
  const of = parseListen('--of-listen', values.ofListen ?? `${DEFAULT_CONFIG.ofHost}:${DEFAULT_CONFIG.ofPort}`);
  const format = values.logFormat ?? DEFAULT_CONFIG.logFormat;
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format: "${format}" is neither json nor pretty`);
  const level = values.logLevel ?? DEFAULT_CONFIG.logLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new UsageError(`--log-level: "${level}" is not error, warn, info or debug`);
  const mode = values.migrationMode ?? DEFAULT_CONFIG.migration.mode;
  if (!isMode(mode)) throw new UsageError(`--migration-mode: "${mode}" is not ${MIGRATION_MODES.join(', ')}`);
  const trigger = values.migrations ?? DEFAULT_CONFIG.migration.trigger;
  if (trigger !== 'any' && trigger !== 'orchestrated-only') throw new UsageError(`--migrations: "${trigger}" is neither any nor orchestrated-only`);
  const tokenFile = values.apiTokenFile;
  const auditInterval = Number(values.auditInterval ?? DEFAULT_CONFIG.auditIntervalMs);
  if (!Number.isInteger(auditInterval) || (auditInterval !== 0 && auditInterval < 100)) throw new UsageError(`--audit-interval: "${values.auditInterval}" is not 0 or a whole number of milliseconds >= 100`);
  const stateDir = values.stateDir ?? defaultStateDir();
  if (stateDir === '') throw new UsageError('--state-dir: empty (give a directory, or "none" to keep state in memory only)');
  const ms = (flag: 'echoInterval' | 'lldpInterval' | 'migrationTimeout' | 'holdDown', fallback: number): number => {
    const n = Number(values[flag] ?? fallback);
    if (!Number.isInteger(n) || n < 50) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: "${values[flag]}" is not a whole number of milliseconds >= 50`);
    return n;
  };
  return {
    ofHost: of.host,
    ofPort: of.port,
    api: values.apiListen === undefined ? undefined : parseListen('--api-listen', values.apiListen),
    topologyFile: values.topology,
    logLevel: level,
    logFormat: format,
    echoIntervalMs: ms('echoInterval', DEFAULT_CONFIG.echoIntervalMs),
    lldpIntervalMs: ms('lldpInterval', DEFAULT_CONFIG.lldpIntervalMs),
    acceptUndeclaredSwitches: values.acceptUndeclaredSwitches ?? false,
    migration: { ...DEFAULT_CONFIG.migration, mode, trigger, timeoutMs: ms('migrationTimeout', DEFAULT_CONFIG.migration.timeoutMs) },
    stateDir: stateDir === 'none' ? undefined : stateDir,
    auditIntervalMs: auditInterval,
    ...(tokenFile === undefined ? {} : { apiToken: readToken(tokenFile) }),
    ...ofTls(values.ofTlsKey, values.ofTlsCert, values.ofTlsCa, values.ofTlsBindDpid ?? false),
    holdDown: { startupMs: ms('holdDown', DEFAULT_CONFIG.holdDown.startupMs), maxMs: ms('holdDown', DEFAULT_CONFIG.holdDown.maxMs) },
    ...parseCluster(values.cluster, values.memberId),
  };
}

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent. Its
 * default grows up to fourfold when collections are cheap: under a flood (the soak: 70 MB of
 * garbage a second) a live heap of 35 MB then sits in 150 MB between collections. A controller's
 * memory should follow its state, not the traffic it refuses: 50 keeps the soak's resident
 * memory near 200 MB, for a full collection about every second under the flood (each pause
 * 3-7 ms). V8 reads the value at each collection, so setting it at start-up is enough.
 */
const HEAP_GROWING_PERCENT = 50;

/** Starts the controller; resolves with an exit code only when it cannot start. */
async function runCommand(values: RunFlags, err: (s: string) => void): Promise<number | undefined> {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  let config: ControllerConfig;
  let topology: Topology | undefined;
  try {
    config = parseConfig(values);
    topology = config.topologyFile === undefined ? undefined : loadTopology(config.topologyFile);
  } catch (e) {
    if (e instanceof TopologyError) return err(`svcswitch: invalid topology:\n${e.message}\n`), 1;
    return err(`svcswitch run: ${(e as Error).message}\nTry 'svcswitch run --help'.\n`), 2;
  }
  let app: Svcswitch;
  try {
    app = buildSvcswitch(config, topology);
    await app.start({ host: config.ofHost, port: config.ofPort }, config.api);
  } catch (e) {
    err(`svcswitch: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  const stop = async (signal: string): Promise<void> => {
    process.stderr.write(`svcswitch: ${signal}, stopping\n`);
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return undefined;
}

export const registerRun: Register = (program, io) => {
  program
    .command('run')
    .description('start the controller')
    .option('--of-listen <host:port>', 'where switches connect (default 127.0.0.1:6653; 6633 also works)')
    .option('--topology <file>', 'datacenter topology (YAML, see topologies/); validated before anything starts')
    .option('--api-listen <host:port>', 'serve the REST API, the web view and /metrics there (default: off; e.g. 127.0.0.1:8080)')
    .option('--log-level <level>', 'error | warn | info | debug (default info)')
    .option('--log-format <format>', 'json | pretty (default: pretty on a terminal, json otherwise)')
    .option('--echo-interval <ms>', 'idle time before an ECHO_REQUEST; 3 silent intervals drop the switch (default 5000)')
    .option('--lldp-interval <ms>', 'LLDP probe period; 3 missed probes expire a link (default 1000)')
    .option('--accept-undeclared-switches', 'with --topology: let switches the file does not declare connect (default: refused)')
    .option('--migration-mode <mode>', `${MIGRATION_MODES.join(' | ')}: a migration that names none (default ${DEFAULT_CONFIG.migration.mode})`)
    .option('--migration-timeout <ms>', 'a prepared migration not completed within this is rolled back (default 60000)')
    .option('--migrations <which>', "orchestrated-only | any: whether a hypervisor's RARP or gratuitous ARP alone moves a VM (any: once it is known to have left its old port; default orchestrated-only: a cloud manager asks first, docs/security.md)")
    .option('--state-dir <dir>', 'where bindings, migrations in flight and learned hosts are kept (SQLite, DIR/state.db; default $XDG_STATE_HOME/svcswitch or ~/.local/state/svcswitch); "none": in memory only')
    .option('--of-tls-key <file>', 'OpenFlow over TLS, with --of-tls-cert and --of-tls-ca (PEM): switches connect with ssl:HOST:PORT and must present a certificate the CA signed')
    .option('--of-tls-cert <file>', "the controller's certificate (PEM)")
    .option('--of-tls-ca <file>', "the CA that signs the switches' certificates (PEM)")
    .option('--of-tls-bind-dpid', 'with TLS: a switch connects only as the datapath its certificate names (subject CN or a DNS/URI subject alternative name, e.g. CN=0000000000030001)')
    .option('--api-token-file <file>', 'a bearer token (one line, 16+ characters): requests that change something need "Authorization: Bearer <token>"; off loopback, reads too (and without it the API refuses to listen there)')
    .option('--audit-interval <ms>', "every switch's tables are read back and drift repaired this often (default 10000; 0: never)")
    .option('--cluster <etcd://host:port,...>', 'run as a member of a cluster on etcd (docs/cluster.md): every switch connects to every member; each switch is mastered by one (OpenFlow 1.3 roles, generation ids from etcd)')
    .option('--member-id <name>', 'with --cluster: this member\'s name, unique in the cluster and kept across restarts (default: the host name)')
    .option('--hold-down <ms>', 'after a start, a switch is reconciled once every declared switch is connected, or after this long at most (default 5000): a warm restart rewrites nothing')
    .action(async (values: RunFlags) => {
      const code = await runCommand(values, io.err);
      if (code !== undefined) process.exit(code);
    });
};
