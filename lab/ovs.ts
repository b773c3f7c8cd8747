import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a command and returns stdout; a failure carries the command's stderr. */
export async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  try {
    if (input === undefined) return (await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
    return await new Promise((resolve, reject) => {
      const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      child.stdin?.end(input);
    });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

export const vsctl = (...args: string[]): Promise<string> => sh('ovs-vsctl', ['--timeout=10', ...args]);
export const ofctl = (...args: string[]): Promise<string> => sh('ovs-ofctl', ['-O', 'OpenFlow13', ...args]);
export const appctl = (...args: string[]): Promise<string> => sh('ovs-appctl', args);

/**
 * Fails loudly (never skips) when Open vSwitch is missing or not running: the tests that
 * call this exist to prove behaviour against the real switch.
 */
export async function requireOvs(): Promise<void> {
  try {
    await vsctl('show');
  } catch (e) {
    throw new Error(`Open vSwitch is required for this test and is not running (run 'make setup'): ${(e as Error).message}`);
  }
}

let counter = 0;

/** A bridge name unique to this process (interface names are limited to 15 characters). */
export function bridgeName(): string {
  counter += 1;
  return `svt${process.pid % 100000}${String.fromCharCode(97 + (counter % 26))}${Math.floor(counter / 26) || ''}`;
}

export interface BridgeOptions {
  dpid: bigint;
  controllerPort: number;
  protocols?: string;
}

/** A userspace (netdev) bridge speaking OpenFlow 1.3 to a controller on loopback, fail-mode secure. */
export async function addBridge(name: string, o: BridgeOptions): Promise<void> {
  await vsctl(
    'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', `protocols=${o.protocols ?? 'OpenFlow13'}`, 'fail_mode=secure',
    `other-config:datapath-id=${o.dpid.toString(16).padStart(16, '0')}`,
    '--', 'set-controller', name, `tcp:127.0.0.1:${o.controllerPort}`,
  );
  // Reconnect quickly in tests that restart the controller.
  await vsctl('set', 'controller', name, 'max_backoff=1000', 'inactivity_probe=0');
}

export async function delBridge(name: string): Promise<void> {
  await vsctl('--if-exists', 'del-br', name);
}

/** A bridge's flows (without counters) and groups, one line each, sorted: two readings compare line by line. */
export async function tableLines(bridge: string): Promise<string[]> {
  const [flows, groups] = await Promise.all([ofctl('--no-stats', 'dump-flows', bridge), ofctl('dump-groups', bridge)]);
  // Without the reply headers (OFPST_GROUP_DESC reply ...).
  return [...flows.split('\n'), ...groups.split('\n')].map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('OFPST')).sort();
}

/** What changed in each bridge between two readings of tableLines (`-` gone, `+` new), for a failure's report. */
export function tableChanges(before: ReadonlyMap<string, readonly string[]>, after: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [bridge, was] of before) {
    const now = after.get(bridge) ?? [];
    for (const l of was) if (!now.includes(l)) out.push(`${bridge}: - ${l}`);
    for (const l of now) if (!was.includes(l)) out.push(`${bridge}: + ${l}`);
  }
  return out;
}
