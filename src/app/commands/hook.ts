import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAX_DOMAIN_XML } from '../hooks/libvirt-domain.js';
import { type HookState, libvirtHook } from '../hooks/libvirt-hook.js';
import { openNebulaHook } from '../hooks/opennebula-hook.js';
import type { ControllerApi, LocalSwitch } from '../hooks/tap-migration.js';
import type { Register } from './program.js';
import { type ClientFlags, type RestCall, clientFrom, withClientOptions } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

const run = promisify(execFile);

interface HookFlags extends ClientFlags {
  stateDir?: string;
  timeout?: string;
}

interface OneHookFlags extends ClientFlags {
  timeout?: string;
  host?: string;
  tapWait?: string;
}

/** A flag of milliseconds, at least `least`. */
function millis(flag: string, value: string | undefined, fallback: number, least: number): number {
  const ms = Number(value ?? fallback);
  if (!Number.isInteger(ms) || ms < least) throw new UsageError(`${flag}: "${value}" is not a whole number of milliseconds >= ${least}`);
  return ms;
}

/** Exit code: 0, 1 when a migration could not be prepared (libvirt logs stderr), 2 usage. */
async function libvirtCommand(domain: string, operation: string, sub: string, values: HookFlags, stdin: () => Promise<string>, err: (s: string) => void): Promise<number> {
  try {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(domain)) throw new UsageError(`domain "${domain.slice(0, 50)}": a name of letters, digits, ".", "_" and "-"`);
    const timeoutMs = millis('--timeout', values.timeout, 600_000, 1000);
    const api = controllerApi(clientFrom(values));
    return await libvirtHook(domain, operation, sub, await stdin(), { api, ovs: localOvs, state: fileState(values.stateDir ?? '/run/svcswitch/libvirt-hook'), log: (l) => err(`${l}\n`), timeoutMs });
  } catch (e) {
    return failed('hook', e, err);
  }
}

/** Exit code: 0, 1 when a migration could not be prepared or ended (OpenNebula records stderr), 2 usage. */
async function openNebulaCommand(template: string, values: OneHookFlags, stdin: () => Promise<string>, err: (s: string) => void): Promise<number> {
  try {
    const timeoutMs = millis('--timeout', values.timeout, 600_000, 1000);
    const tapWaitMs = millis('--tap-wait', values.tapWait, 60_000, 0);
    const api = controllerApi(clientFrom(values));
    const text = template === '-' ? await stdin() : template;
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    return await openNebulaHook(text, { api, ovs: localOvs, log: (l) => err(`${l}\n`), host: values.host ?? hostname(), timeoutMs, tapWaitMs, sleep });
  } catch (e) {
    return failed('hook', e, err);
  }
}

export const registerHook: Register = (program, io, exit) => {
  const hook = program.command('hook').description("a hypervisor's hook that prepares migrations as it migrates VMs (docs/integration.md)");
  withClientOptions(
    hook
      .command('libvirt')
      .description("libvirt's QEMU hook, installed as /etc/libvirt/hooks/qemu (a two-line script that execs this): on the destination of a live migration it prepares the VM's migration to its new tap once QEMU is started, and cancels it if the domain stops before it ran; every other call does nothing (exit 0; 1 when a migration could not be prepared, libvirt logs stderr; 2 usage). The domain XML comes on stdin.")
      .argument('<domain>')
      .argument('<operation>')
      .argument('<sub-operation>')
      .argument('[extra]'),
  )
    .option('--state-dir <dir>', 'where domains migrating in are remembered between calls (default /run/svcswitch/libvirt-hook)')
    .option('--timeout <ms>', 'a prepared migration not completed within this is rolled back (default 600000: 10 minutes)')
    .action(async (domain: string, operation: string, sub: string, _extra: string | undefined, values: HookFlags) => exit(await libvirtCommand(domain, operation, sub, values, io.stdin, io.err)));
  withClientOptions(
    hook
      .command('opennebula')
      .description("OpenNebula's state hook (TYPE = state, RESOURCE = VM, REMOTE = yes, ARGUMENTS = $TEMPLATE) for ACTIVE/MIGRATE and ACTIVE/RUNNING: on the destination of a live migration it prepares the VM's migration to its tap once libvirt plugged it; once the VM runs, a migration still pending is completed where it runs or cancelled elsewhere (the live migration failed); every other state does nothing (exit 0; 1 when a migration could not be prepared or ended; 2 usage)")
      .argument('<template>', "the VM's template, base64 (OpenNebula's $TEMPLATE) or XML; - reads it from stdin (ARGUMENTS_STDIN = yes)"),
  )
    .option('--host <name>', "this hypervisor's name in OpenNebula (HISTORY/HOSTNAME; default the machine's host name)")
    .option('--timeout <ms>', 'a prepared migration not completed within this is rolled back (default 600000: 10 minutes)')
    .option('--tap-wait <ms>', "how long to wait for the destination's tap to be plugged (default 60000)")
    .action(async (template: string, values: OneHookFlags) => exit(await openNebulaCommand(template, values, io.stdin, io.err)));
};

/** Standard input, bounded (libvirt writes the domain XML there). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_DOMAIN_XML) throw new Error(`more than ${MAX_DOMAIN_XML} bytes on stdin`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the hook asks of the controller, over its REST API. */
function controllerApi(call: RestCall): ControllerApi {
  return {
    hostByMac: async (mac) => (await call<Array<{ ip: string | undefined; switch: string; port: number }>>('GET', `/api/hosts?mac=${mac}`))[0],
    switchByDpid: async (dpid) => (await call<Array<{ dpid: string; name: string }>>('GET', '/api/switches')).find((s) => s.dpid === dpid)?.name,
    prepare: (body) => call('POST', '/api/migrations', body),
    status: async (id) => (await call<{ status: string }>('GET', `/api/migrations/${id}`).catch(() => undefined))?.status,
    pending: async (hoa) => (await call<Array<{ id: string; hoa: string; status: string; to: { switch: string; port: number } }>>('GET', '/api/migrations')).filter((m) => m.hoa === hoa && (m.status === 'preparing' || m.status === 'prepared')),
    complete: async (id) => void (await call('POST', `/api/migrations/${id}/complete`)),
    cancel: async (id) => void (await call('DELETE', `/api/migrations/${id}`)),
  };
}

const vsctl = async (...args: string[]): Promise<string | undefined> => {
  const out = await run('ovs-vsctl', ['--timeout=5', ...args]).catch(() => undefined);
  const v = out?.stdout.trim().replace(/^"|"$/g, '');
  return v === undefined || v === '' || v === '[]' ? undefined : v;
};

const localOvs: LocalSwitch = {
  bridgeDpid: (bridge) => vsctl('get', 'Bridge', bridge, 'datapath_id'),
  ofport: async (tap) => {
    const p = Number(await vsctl('get', 'Interface', tap, 'ofport'));
    return Number.isInteger(p) && p > 0 ? p : undefined;
  },
};

function fileState(dir: string): HookState {
  const file = (domain: string): string => join(dir, `${domain}.json`);
  return {
    read: (domain) => {
      try {
        return JSON.parse(readFileSync(file(domain), 'utf8')) as { incoming: boolean; migrations: string[] };
      } catch {
        return undefined;
      }
    },
    write: (domain, s) => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(file(domain), JSON.stringify(s), { mode: 0o600 });
    },
    remove: (domain) => rmSync(file(domain), { force: true }),
  };
}
