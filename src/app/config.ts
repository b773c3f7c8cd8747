import type { LogFormat } from '../log/logger.js';
import { DEFAULT_MIGRATION_OPTIONS, type MigrationOptions } from '../migration/migration-options.js';
import { DEFAULT_HOLD_DOWN, type HoldDownOptions } from './hold-down.js';

/** Everything the controller is started with; parsed from the command line in app/commands/run.ts. */
export interface ControllerConfig {
  ofHost: string;
  ofPort: number;
  /** undefined: no REST API. */
  api: { host: string; port: number } | undefined;
  logLevel: string;
  logFormat: LogFormat;
  echoIntervalMs: number;
  topologyFile: string | undefined;
  lldpIntervalMs: number;
  /** Topology timings (see TopologyOptions); tests shorten them. */
  missingAfterMs?: number;
  hostGraceMs?: number;
  /** With a topology file: let switches it does not declare connect (default: refused with a warn line). */
  acceptUndeclaredSwitches: boolean;
  /** Cross-subnet migration: default mode, timeout of a prepared migration, which triggers move a VM. */
  migration: MigrationOptions;
  /** Where bindings, migrations in flight and learned hosts are kept (SQLite); undefined: in memory only. */
  stateDir: string | undefined;
  /** How long a reconnecting switch waits for the topology around it to settle (see hold-down.ts). */
  holdDown: HoldDownOptions;
  /** OpenFlow over TLS (PEM key, certificate, and the CA that signs the switches' certificates); undefined: TCP. */
  ofTls?: { key: Buffer; cert: Buffer; ca: Buffer; bindDpid?: boolean };
  /** A switch that has not finished the TLS and OpenFlow handshakes within this is cut (tests shorten it). */
  handshakeTimeoutMs?: number;
  /** A REST request not received within this gets 408 (tests shorten it). */
  apiRequestTimeoutMs?: number;
  /** The REST API's bearer token (from --api-token-file); undefined: none (loopback only). */
  apiToken?: string;
  /** Every switch's tables are read back and repaired this often (0: never). */
  auditIntervalMs: number;
  /** How long a switch has to answer a request, a barrier after a batch included (default 10 s; a benchmark of 2,000 emulated switches lengthens it). */
  requestTimeoutMs?: number;
  /** A member of a cluster on etcd (docs/cluster.md): its client URLs and this member's name; undefined: alone. */
  cluster?: { endpoints: string[]; memberId: string };
}

export const DEFAULT_CONFIG: ControllerConfig = {
  ofHost: '127.0.0.1',
  ofPort: 6653,
  api: undefined,
  logLevel: 'info',
  logFormat: process.stderr.isTTY ? 'pretty' : 'json',
  echoIntervalMs: 5_000,
  topologyFile: undefined,
  lldpIntervalMs: 1_000,
  acceptUndeclaredSwitches: false,
  migration: DEFAULT_MIGRATION_OPTIONS,
  stateDir: undefined,
  holdDown: DEFAULT_HOLD_DOWN,
  auditIntervalMs: 10_000,
};

/** "127.0.0.1:6653" or ":6653" or "6653" -> host and port; throws a message naming the flag. */
export function parseListen(flag: string, text: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) throw new Error(`${flag}: "${text}" is not HOST:PORT (for example 127.0.0.1:6653)`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : defaultHost;
  return { host, port };
}
