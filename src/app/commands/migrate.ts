import { parseArgs } from 'node:util';
import { MIGRATION_MODES } from '../../migration/migration-service.js';
import { CLIENT_HELP, CLIENT_OPTIONS, addressOf, clientFrom } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

export const MIGRATE_HELP = `svcswitch migrate: ask a running controller to migrate a VM (make-before-break)

  svcswitch migrate HOA|NAME --to SWITCH:PORT [--mode mobile-ip|optimized|first-hop] [--timeout MS] [--api URL] [--token-file F] [--complete]

  HOA|NAME       the VM's Home Address (it keeps it), or its name as the controller knows it (h11)
  --to           the access switch port it moves to (its new subnet)
  --mode         the controller's default otherwise
  --timeout MS   rolled back if not completed within this (default: the controller's --migration-timeout)
  --complete     switch over at once (without it the switchover comes when the VM is seen there)
${CLIENT_HELP}  Prints the migration as JSON once the tables are confirmed. Exit code: 0 prepared (or completed), 1 refused, 2 usage.
`;

/** Returns the exit code (see MIGRATE_HELP). */
export async function migrateCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { to: { type: 'string' }, mode: { type: 'string' }, timeout: { type: 'string' }, complete: { type: 'boolean' }, ...CLIENT_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    const [vm, ...extra] = positionals;
    if (vm === undefined || extra.length > 0) throw new UsageError('give one HOA (or the VM\'s name)');
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
