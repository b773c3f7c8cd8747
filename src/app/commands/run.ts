import { UsageError } from './usage-error.js';
import { readBoundedFile } from '../../files/bounded-read.js';
import { createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { readTokenFile } from '../../api/bearer-token.js';
import { TopologyError } from '../../topology/errors.js';
import { loadTopology } from '../../topology/loader.js';
import type { Topology } from '../../topology/model.js';
import { DEFAULT_CONFIG, parseListen, type ControllerConfig } from '../config.js';
import { buildSvcswitch } from '../container.js';
import type { Svcswitch } from '../svcswitch.js';
import { MIGRATION_MODES } from '../../migration/migration-service.js';
import type { MigrationMode } from '../../migration/binding-store.js';
import { defaultStateDir } from '../../state/database.js';

const isMode = (m: string): m is MigrationMode => (MIGRATION_MODES as readonly string[]).includes(m);

export const RUN_HELP = `svcswitch run [options]: start the controller

  --of-listen HOST:PORT     where switches connect (default 127.0.0.1:6653; 6633 also works)
  --topology FILE           datacenter topology (YAML, see topologies/); validated before anything starts
  --api-listen HOST:PORT    serve the REST API there (default: off; e.g. 127.0.0.1:8080)
  --log-level LEVEL         error | warn | info | debug (default info)
  --log-format FORMAT       json | pretty (default: pretty on a terminal, json otherwise)
  --echo-interval MS        idle time before an ECHO_REQUEST; 3 silent intervals drop the switch (default 5000)
  --lldp-interval MS        LLDP probe period; 3 missed probes expire a link (default 1000)
  --accept-undeclared-switches
                            with --topology: let switches the file does not declare connect (default: refused)
  --migration-mode MODE     mobile-ip | optimized | first-hop: a migration that names none (default optimized)
  --migration-timeout MS    a prepared migration not completed within this is rolled back (default 60000)
  --migrations WHICH        orchestrated-only | any: whether a hypervisor's RARP or gratuitous ARP alone
                            moves a VM (any: once it is known to have left its old port; default
                            orchestrated-only: a cloud manager asks first, docs/security.md)
  --state-dir DIR           where bindings, migrations in flight and learned hosts are kept (SQLite,
                            DIR/state.db; default $XDG_STATE_HOME/svcswitch or ~/.local/state/svcswitch);
                            "none": in memory only
  --of-tls-key FILE, --of-tls-cert FILE, --of-tls-ca FILE
                            OpenFlow over TLS (PEM; all three): switches connect with ssl:HOST:PORT and
                            must present a certificate the CA signed (ovs-vsctl set-ssl on the switch)
  --of-tls-bind-dpid        with TLS: a switch connects only as the datapath its certificate names
                            (subject CN or a DNS/URI subject alternative name, e.g. CN=0000000000030001)
  --api-token-file FILE     a bearer token (one line, 16+ characters): requests that change something need
                            "Authorization: Bearer <token>"; on an address that is not loopback, reads too
                            (and without it the API refuses to listen there)
  --audit-interval MS       every switch's tables are read back and drift repaired this often (default 10000; 0: never)
  --hold-down MS            after a start, a switch is reconciled once every declared switch is connected,
                            or after this long at most (default 5000): a warm restart rewrites nothing
`;


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

function parseConfig(argv: string[]): ControllerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      'of-listen': { type: 'string' },
      topology: { type: 'string' },
      'api-listen': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'echo-interval': { type: 'string' },
      'lldp-interval': { type: 'string' },
      'accept-undeclared-switches': { type: 'boolean' },
      'migration-mode': { type: 'string' },
      'migration-timeout': { type: 'string' },
      migrations: { type: 'string' },
      'state-dir': { type: 'string' },
      'hold-down': { type: 'string' },
      'audit-interval': { type: 'string' },
      'api-token-file': { type: 'string' },
      'of-tls-key': { type: 'string' },
      'of-tls-cert': { type: 'string' },
      'of-tls-ca': { type: 'string' },
      'of-tls-bind-dpid': { type: 'boolean' },
    },
    strict: true,
  });
  const of = parseListen('--of-listen', values['of-listen'] ?? `${DEFAULT_CONFIG.ofHost}:${DEFAULT_CONFIG.ofPort}`);
  const format = values['log-format'] ?? DEFAULT_CONFIG.logFormat;
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format: "${format}" is neither json nor pretty`);
  const level = values['log-level'] ?? DEFAULT_CONFIG.logLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new UsageError(`--log-level: "${level}" is not error, warn, info or debug`);
  const mode = values['migration-mode'] ?? DEFAULT_CONFIG.migration.mode;
  if (!isMode(mode)) throw new UsageError(`--migration-mode: "${mode}" is not ${MIGRATION_MODES.join(', ')}`);
  const trigger = values.migrations ?? DEFAULT_CONFIG.migration.trigger;
  if (trigger !== 'any' && trigger !== 'orchestrated-only') throw new UsageError(`--migrations: "${trigger}" is neither any nor orchestrated-only`);
  const tokenFile = values['api-token-file'];
  const auditInterval = Number(values['audit-interval'] ?? DEFAULT_CONFIG.auditIntervalMs);
  if (!Number.isInteger(auditInterval) || (auditInterval !== 0 && auditInterval < 100)) throw new UsageError(`--audit-interval: "${values['audit-interval']}" is not 0 or a whole number of milliseconds >= 100`);
  const stateDir = values['state-dir'] ?? defaultStateDir();
  if (stateDir === '') throw new UsageError('--state-dir: empty (give a directory, or "none" to keep state in memory only)');
  const ms = (flag: 'echo-interval' | 'lldp-interval' | 'migration-timeout' | 'hold-down', fallback: number): number => {
    const n = Number(values[flag] ?? fallback);
    if (!Number.isInteger(n) || n < 50) throw new UsageError(`--${flag}: "${values[flag]}" is not a whole number of milliseconds >= 50`);
    return n;
  };
  return {
    ofHost: of.host,
    ofPort: of.port,
    api: values['api-listen'] === undefined ? undefined : parseListen('--api-listen', values['api-listen']),
    topologyFile: values.topology,
    logLevel: level,
    logFormat: format,
    echoIntervalMs: ms('echo-interval', DEFAULT_CONFIG.echoIntervalMs),
    lldpIntervalMs: ms('lldp-interval', DEFAULT_CONFIG.lldpIntervalMs),
    acceptUndeclaredSwitches: values['accept-undeclared-switches'] ?? false,
    migration: { ...DEFAULT_CONFIG.migration, mode, trigger, timeoutMs: ms('migration-timeout', DEFAULT_CONFIG.migration.timeoutMs) },
    stateDir: stateDir === 'none' ? undefined : stateDir,
    auditIntervalMs: auditInterval,
    ...(tokenFile === undefined ? {} : { apiToken: readToken(tokenFile) }),
    ...ofTls(values['of-tls-key'], values['of-tls-cert'], values['of-tls-ca'], values['of-tls-bind-dpid'] ?? false),
    holdDown: { startupMs: ms('hold-down', DEFAULT_CONFIG.holdDown.startupMs), maxMs: ms('hold-down', DEFAULT_CONFIG.holdDown.maxMs) },
  };
}

/** Starts the controller; resolves with an exit code only when it cannot start. */
/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent. Its
 * default grows up to fourfold when collections are cheap: under a flood (the soak: 70 MB of
 * garbage a second) a live heap of 35 MB then sits in 150 MB between collections. A controller's
 * memory should follow its state, not the traffic it refuses: 50 keeps the soak's resident
 * memory near 200 MB, for a full collection about every second under the flood (each pause
 * 3-7 ms). V8 reads the value at each collection, so setting it at start-up is enough.
 */
const HEAP_GROWING_PERCENT = 50;

export async function runCommand(argv: string[], err: (s: string) => void): Promise<number | undefined> {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  let config: ControllerConfig;
  let topology: Topology | undefined;
  try {
    config = parseConfig(argv);
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
