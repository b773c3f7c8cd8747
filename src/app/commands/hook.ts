import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAX_DOMAIN_XML } from '../hooks/libvirt-domain.js';
import { type ControllerApi, type HookState, type LocalSwitch, libvirtHook } from '../hooks/libvirt-hook.js';
import type { Register } from './program.js';
import { type ClientFlags, type RestCall, clientFrom, withClientOptions } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

const run = promisify(execFile);

interface HookFlags extends ClientFlags {
  stateDir?: string;
  timeout?: string;
}

/** Exit code: 0, 1 when a migration could not be prepared (libvirt logs stderr), 2 usage. */
async function hookCommand(domain: string, operation: string, sub: string, values: HookFlags, stdin: () => Promise<string>, err: (s: string) => void): Promise<number> {
  try {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(domain)) throw new UsageError(`domain "${domain.slice(0, 50)}": a name of letters, digits, ".", "_" and "-"`);
    const timeoutMs = Number(values.timeout ?? 600_000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1000) throw new UsageError(`--timeout: "${values.timeout}" is not a whole number of milliseconds >= 1000`);
    const api = controllerApi(clientFrom(values));
    return await libvirtHook(domain, operation, sub, await stdin(), { api, ovs: localOvs, state: fileState(values.stateDir ?? '/run/svcswitch/libvirt-hook'), log: (l) => err(`${l}\n`), timeoutMs });
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
    .action(async (domain: string, operation: string, sub: string, _extra: string | undefined, values: HookFlags) => exit(await hookCommand(domain, operation, sub, values, io.stdin, io.err)));
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
