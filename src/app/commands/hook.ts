import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { MAX_DOMAIN_XML } from '../hooks/libvirt-domain.js';
import { type ControllerApi, type HookState, type LocalSwitch, libvirtHook } from '../hooks/libvirt-hook.js';
import { CLIENT_HELP, CLIENT_OPTIONS, type RestCall, clientFrom } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

export const HOOK_HELP = `svcswitch hook libvirt: libvirt's QEMU hook, on every hypervisor (docs/integration.md)

  svcswitch hook libvirt [--api URL] [--token-file F] [--state-dir DIR] [--timeout MS] DOMAIN OPERATION SUB-OPERATION EXTRA < domain.xml

  Installed as /etc/libvirt/hooks/qemu (a two-line script that execs this with its options).
  On the destination of a live migration it prepares the VM's migration to its new tap once
  QEMU is started (the switchover follows the VM's first frame there) and cancels it if the
  domain stops before it ran. Every other call does nothing.
${CLIENT_HELP}  --state-dir DIR  where domains migrating in are remembered between calls (default /run/svcswitch/libvirt-hook)
  --timeout MS     a prepared migration not completed within this is rolled back (default 600000: 10 minutes)
  Exit code: 0, 1 when a migration could not be prepared (libvirt logs stderr), 2 usage.
`;

const run = promisify(execFile);

/** Returns the exit code (see HOOK_HELP). */
export async function hookCommand(argv: string[], stdin: () => Promise<string>, err: (s: string) => void): Promise<number> {
  try {
    const [kind, ...rest] = argv;
    if (kind !== 'libvirt') throw new UsageError(`"${kind ?? ''}" is not a hook svcswitch has (libvirt)`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...CLIENT_OPTIONS, 'state-dir': { type: 'string' }, timeout: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [domain, operation, sub] = positionals;
    if (domain === undefined || operation === undefined || sub === undefined || positionals.length > 4) throw new UsageError('give DOMAIN OPERATION SUB-OPERATION [EXTRA], as libvirt does');
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(domain)) throw new UsageError(`domain "${domain.slice(0, 50)}": a name of letters, digits, ".", "_" and "-"`);
    const timeoutMs = Number(values.timeout ?? 600_000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1000) throw new UsageError(`--timeout: "${values.timeout}" is not a whole number of milliseconds >= 1000`);
    const api = controllerApi(clientFrom(values));
    return await libvirtHook(domain, operation, sub, await stdin(), { api, ovs: localOvs, state: fileState(values['state-dir'] ?? '/run/svcswitch/libvirt-hook'), log: (l) => err(`${l}\n`), timeoutMs });
  } catch (e) {
    return failed('hook', e, err);
  }
}

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
