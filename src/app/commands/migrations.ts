import { parseArgs } from 'node:util';
import { CLIENT_HELP, CLIENT_OPTIONS, type RestCall, addressOf, clientFrom } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

export const MIGRATIONS_HELP = `svcswitch migrations: the migrations of a running controller

  svcswitch migrations list [--json]        recent migrations (in flight, then the last finished)
  svcswitch migrations show ID [--json]     one, with its timeline
  svcswitch migrations complete ID          the VM runs at its new place: switch over now
  svcswitch migrations cancel ID            roll a prepared migration back
  svcswitch migrations watch ID             print its timeline as it happens, until it ends
${CLIENT_HELP}  Exit code: 0 done (watch: completed), 1 refused or failed (watch: rolled back, cancelled, failed), 2 usage.
`;

export const BINDINGS_HELP = `svcswitch bindings: the migrated VMs of a running controller (HoA -> CoA)

  svcswitch bindings list [--json]          every binding: HoA, CoA, where, mode, state
  svcswitch bindings show HOA|NAME [--json]
  svcswitch bindings delete HOA|NAME        a migrated VM that is gone: its binding, CoA and entries removed
${CLIENT_HELP}  Exit code: 0 done, 1 refused, 2 usage.
`;

interface Step {
  step: string;
  at: number;
}
interface MigrationView {
  id: string;
  hoa: string;
  mode: string;
  trigger: string;
  status: string;
  from: { switch: string; port: number; coa?: string };
  to: { switch: string; port: number; coa?: string };
  timeline: Step[];
  reason?: string;
}
interface BindingView {
  hoa: string;
  coa?: string;
  switch: string;
  port: number;
  mode: string;
  state: string;
}

const FINISHED = new Set(['completed', 'rolled-back', 'cancelled', 'failed']);
const place = (p: { switch: string; port: number; coa?: string }): string => `${p.switch}:${p.port}${p.coa ? ` (${p.coa})` : ''}`;
const row = (m: MigrationView): string => `${m.id.padEnd(6)} ${m.hoa.padEnd(15)} ${m.mode.padEnd(9)} ${m.trigger.padEnd(12)} ${place(m.from)} -> ${place(m.to)}  ${m.status}${m.reason ? `: ${m.reason}` : ''}`;
const timeline = (m: MigrationView): string[] => m.timeline.map((s) => `  +${String(s.at - m.timeline[0]!.at).padStart(6)} ms  ${s.step}`);

function parse(argv: string[], what: string): { verb: string | undefined; arg: string | undefined; json: boolean; call: RestCall } {
  const { values, positionals } = parseArgs({ args: argv, options: { ...CLIENT_OPTIONS, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const [verb, arg, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`one ${what} at a time (got ${positionals.slice(1).join(', ')})`);
  return { verb, arg, json: values.json ?? false, call: clientFrom(values) };
}

const need = (arg: string | undefined, what: string): string => {
  if (arg === undefined) throw new UsageError(`give the ${what}`);
  return arg;
};

/** `svcswitch migrations ...`; returns the exit code (see MIGRATIONS_HELP). */
export async function migrationsCommand(argv: string[], out: (s: string) => void, err: (s: string) => void, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number> {
  try {
    const { verb, arg, json, call } = parse(argv, 'migration');
    const show = (m: MigrationView): void => out(json ? `${JSON.stringify(m, null, 2)}\n` : `${[row(m), ...timeline(m)].join('\n')}\n`);
    if (verb === 'list') {
      const all = await call<MigrationView[]>('GET', '/api/migrations');
      out(json ? `${JSON.stringify(all, null, 2)}\n` : all.length === 0 ? 'no migrations\n' : `${all.map(row).join('\n')}\n`);
      return 0;
    }
    if (verb === 'show') return show(await call<MigrationView>('GET', `/api/migrations/${encodeURIComponent(need(arg, 'migration id'))}`)), 0;
    if (verb === 'complete') return show(await call<MigrationView>('POST', `/api/migrations/${encodeURIComponent(need(arg, 'migration id'))}/complete`, {})), 0;
    if (verb === 'cancel') return show(await call<MigrationView>('DELETE', `/api/migrations/${encodeURIComponent(need(arg, 'migration id'))}`)), 0;
    if (verb === 'watch') {
      const id = encodeURIComponent(need(arg, 'migration id'));
      let printed = 0;
      for (;;) {
        const m = await call<MigrationView>('GET', `/api/migrations/${id}`);
        if (printed === 0) out(`${row(m)}\n`);
        const lines = timeline(m);
        for (const l of lines.slice(printed)) out(`${l}\n`);
        printed = Math.max(printed, lines.length, 1);
        if (FINISHED.has(m.status)) return out(`${m.status}${m.reason ? `: ${m.reason}` : ''}\n`), m.status === 'completed' ? 0 : 1;
        await sleep(200);
      }
    }
    throw new UsageError(verb === undefined ? 'give list, show, complete, cancel or watch' : `"${verb}" is not list, show, complete, cancel or watch`);
  } catch (e) {
    return failed('migrations', e, err);
  }
}

/** `svcswitch bindings ...`; returns the exit code (see BINDINGS_HELP). */
export async function bindingsCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const { verb, arg, json, call } = parse(argv, 'binding');
    const line = (b: BindingView): string => `${b.hoa.padEnd(15)} -> ${(b.coa ?? '-').padEnd(15)} at ${b.switch}:${b.port}  ${b.mode}  ${b.state}`;
    const show = (b: BindingView | BindingView[]): void => out(json ? `${JSON.stringify(b, null, 2)}\n` : Array.isArray(b) ? (b.length === 0 ? 'no bindings\n' : `${b.map(line).join('\n')}\n`) : `${line(b)}\n`);
    if (verb === 'list') return show(await call<BindingView[]>('GET', '/api/bindings')), 0;
    if (verb === 'show' || verb === 'delete') {
      const hoa = await addressOf(call, need(arg, 'VM\'s address or name'));
      return show(await call<BindingView>(verb === 'show' ? 'GET' : 'DELETE', `/api/bindings/${hoa}`)), 0;
    }
    throw new UsageError(verb === undefined ? 'give list, show or delete' : `"${verb}" is not list, show or delete`);
  } catch (e) {
    return failed('bindings', e, err);
  }
}
