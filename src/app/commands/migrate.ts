import { MIGRATION_MODES } from '../../migration/binding-store.js';
import type { Register } from './program.js';
import { type ClientFlags, addressOf, clientFrom, withClientOptions } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

interface MigrateFlags extends ClientFlags {
  to?: string;
  mode?: string;
  timeout?: string;
  complete?: boolean;
}

/** Exit code: 0 prepared (or completed), 1 refused, 2 usage. */
async function migrateCommand(vm: string, values: MigrateFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const to = /^([A-Za-z0-9_-]+):(\d+)$/.exec(values.to ?? '');
    if (!to) throw new UsageError(`--to: "${values.to ?? ''}" is not SWITCH:PORT (for example acc3:5)`);
    if (values.mode !== undefined && !(MIGRATION_MODES as readonly string[]).includes(values.mode)) throw new UsageError(`--mode: "${values.mode}" is not ${MIGRATION_MODES.join(', ')}`);
    const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1000)) throw new UsageError(`--timeout: "${values.timeout}" is not a whole number of milliseconds >= 1000`);
    const rest = clientFrom(values);
    const hoa = await addressOf(rest, vm);
    const call = (path: string, body: unknown): Promise<Record<string, unknown>> => rest('POST', path, body);
    let migration = await call('/api/migrations', { hoa, switch: to[1], port: Number(to[2]), ...(values.mode ? { mode: values.mode } : {}), ...(timeout === undefined ? {} : { timeoutMs: timeout }) });
    if (values.complete) migration = await call(`/api/migrations/${String(migration.id)}/complete`, {});
    out(JSON.stringify(migration, null, 2) + '\n');
    return 0;
  } catch (e) {
    return failed('migrate', e, err);
  }
}

export const registerMigrate: Register = (program, io, exit) => {
  withClientOptions(
    program
      .command('migrate')
      .description('ask a running controller to migrate a VM, make-before-break; prints the migration as JSON once the tables are confirmed (exit 0 prepared or completed, 1 refused, 2 usage)')
      .argument('<vm>', "the VM's Home Address (it keeps it), or its name as the controller knows it (h11)")
      .option('--to <switch:port>', 'the access switch port it moves to (its new subnet)')
      .option('--mode <mode>', `${MIGRATION_MODES.join(' | ')} (default: the controller's)`)
      .option('--timeout <ms>', "rolled back if not completed within this (default: the controller's --migration-timeout)")
      .option('--complete', 'switch over at once (without it the switchover comes when the VM is seen there)'),
  ).action(async (vm: string, values: MigrateFlags) => exit(await migrateCommand(vm, values, io.out, io.err)));
};
