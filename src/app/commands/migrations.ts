import type { Register } from './program.js';
import { type ClientFlags, type RestCall, addressOf, clientFrom, withClientOptions } from './rest-client.js';
import { failed } from './usage-error.js';

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

/** Runs a verb: its exit code, or 1 with the reason (the controller's refusal names the URL). */
async function verb(name: string, err: (s: string) => void, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    return failed(name, e, err);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Prints a migration's timeline as it grows, until it ends: 0 completed, 1 otherwise. */
async function watch(call: RestCall, id: string, out: (s: string) => void): Promise<number> {
  let printed = 0;
  for (;;) {
    const m = await call<MigrationView>('GET', `/api/migrations/${encodeURIComponent(id)}`);
    if (printed === 0) out(`${row(m)}\n`);
    const lines = timeline(m);
    for (const l of lines.slice(printed)) out(`${l}\n`);
    printed = Math.max(printed, lines.length, 1);
    if (FINISHED.has(m.status)) return out(`${m.status}${m.reason ? `: ${m.reason}` : ''}\n`), m.status === 'completed' ? 0 : 1;
    await sleep(200);
  }
}

interface ListFlags extends ClientFlags {
  json?: boolean;
}

export const registerMigrations: Register = (program, io, exit) => {
  const migrations = program.command('migrations').description("the migrations of a running controller (exit 0 done, watch: completed; 1 refused or failed, watch: rolled back, cancelled, failed; 2 usage)");
  const show = (m: MigrationView, json: boolean | undefined): void => io.out(json ? `${JSON.stringify(m, null, 2)}\n` : `${[row(m), ...timeline(m)].join('\n')}\n`);
  const path = (id: string): string => `/api/migrations/${encodeURIComponent(id)}`;
  withClientOptions(migrations.command('list').description('recent migrations (in flight, then the last finished)').option('--json', 'as JSON')).action((v: ListFlags) =>
    verb('migrations', io.err, async () => {
      const all = await clientFrom(v)<MigrationView[]>('GET', '/api/migrations');
      io.out(v.json ? `${JSON.stringify(all, null, 2)}\n` : all.length === 0 ? 'no migrations\n' : `${all.map(row).join('\n')}\n`);
      return 0;
    }).then(exit),
  );
  withClientOptions(migrations.command('show').description('one, with its timeline').argument('<id>').option('--json', 'as JSON')).action((id: string, v: ListFlags) =>
    verb('migrations', io.err, async () => (show(await clientFrom(v)<MigrationView>('GET', path(id)), v.json), 0)).then(exit),
  );
  withClientOptions(migrations.command('complete').description('the VM runs at its new place: switch over now').argument('<id>')).action((id: string, v: ClientFlags) =>
    verb('migrations', io.err, async () => (show(await clientFrom(v)<MigrationView>('POST', `${path(id)}/complete`, {}), false), 0)).then(exit),
  );
  withClientOptions(migrations.command('cancel').description('roll a prepared migration back').argument('<id>')).action((id: string, v: ClientFlags) =>
    verb('migrations', io.err, async () => (show(await clientFrom(v)<MigrationView>('DELETE', path(id)), false), 0)).then(exit),
  );
  withClientOptions(migrations.command('watch').description('print its timeline as it happens, until it ends').argument('<id>')).action((id: string, v: ClientFlags) =>
    verb('migrations', io.err, () => watch(clientFrom(v), id, io.out)).then(exit),
  );
};

export const registerBindings: Register = (program, io, exit) => {
  const bindings = program.command('bindings').description('the migrated VMs of a running controller, HoA -> CoA (exit 0 done, 1 refused, 2 usage)');
  const line = (b: BindingView): string => `${b.hoa.padEnd(15)} -> ${(b.coa ?? '-').padEnd(15)} at ${b.switch}:${b.port}  ${b.mode}  ${b.state}`;
  const show = (b: BindingView | BindingView[], json: boolean | undefined): void =>
    io.out(json ? `${JSON.stringify(b, null, 2)}\n` : Array.isArray(b) ? (b.length === 0 ? 'no bindings\n' : `${b.map(line).join('\n')}\n`) : `${line(b)}\n`);
  withClientOptions(bindings.command('list').description('every binding: HoA, CoA, where, mode, state').option('--json', 'as JSON')).action((v: ListFlags) =>
    verb('bindings', io.err, async () => (show(await clientFrom(v)<BindingView[]>('GET', '/api/bindings'), v.json), 0)).then(exit),
  );
  for (const [name, method, what] of [['show', 'GET', 'one binding'], ['delete', 'DELETE', 'a migrated VM that is gone: its binding, CoA and entries removed']] as const) {
    withClientOptions(bindings.command(name).description(what).argument('<vm>', "the VM's address or name").option('--json', 'as JSON')).action((vm: string, v: ListFlags) =>
      verb('bindings', io.err, async () => {
        const call = clientFrom(v);
        return show(await call<BindingView>(method, `/api/bindings/${await addressOf(call, vm)}`), v.json), 0;
      }).then(exit),
    );
  }
};
