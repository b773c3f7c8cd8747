#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { HOOK_HELP, hookCommand, readStdin } from './app/commands/hook.js';
import { MIGRATE_HELP, migrateCommand } from './app/commands/migrate.js';
import { EVENTS_HELP, eventsCommand } from './app/commands/events.js';
import { BINDINGS_HELP, MIGRATIONS_HELP, bindingsCommand, migrationsCommand } from './app/commands/migrations.js';
import { RUN_HELP, runCommand } from './app/commands/run.js';
import { TOPOLOGY_HELP, topologyCommand } from './app/commands/topology.js';
import { TRACE_HELP, traceCommand } from './app/commands/trace.js';

const HELP = `svcswitch: OpenFlow 1.3 controller for cross-subnet live migration of VMs

Usage:
  svcswitch run [options]          start the controller
  svcswitch topology VERB ...      check, export, draw or generate topology files
  svcswitch trace --from --to ...  the path of one packet through the planned tables
  svcswitch migrate HOA --to SW:P  migrate a VM to another subnet (asks a running controller)
  svcswitch migrations VERB ...    list, show, complete, cancel or watch a running controller's migrations
  svcswitch bindings VERB ...      list, show or delete its bindings (migrated VMs)
  svcswitch hook libvirt ...       libvirt's QEMU hook: migrations prepared as libvirt migrates VMs
  svcswitch --version              the version
  svcswitch COMMAND -h|--help      a command's help; svcswitch -h|--help: all of it

The commands that ask a running controller take --api URL and --token-file F, or read
SVCSWITCH_API and SVCSWITCH_TOKEN_FILE from the environment.

${RUN_HELP}
${TOPOLOGY_HELP}
${TRACE_HELP}
${MIGRATE_HELP}
${MIGRATIONS_HELP}
${BINDINGS_HELP}
${EVENTS_HELP}
${HOOK_HELP}`;

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);
const [command, ...rest] = process.argv.slice(2);
const exit = (code: number | undefined): void => {
  if (code !== undefined) process.exitCode = code;
};

/** Each command: its help, and what runs it (its exit code). */
const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<number | undefined> | number }> = {
  run: { help: RUN_HELP, run: (argv) => runCommand(argv, err).then((code) => (code === undefined ? undefined : process.exit(code))) },
  topology: { help: TOPOLOGY_HELP, run: (argv) => topologyCommand(argv, out, err) },
  trace: { help: TRACE_HELP, run: (argv) => traceCommand(argv, out, err) },
  migrate: { help: MIGRATE_HELP, run: (argv) => migrateCommand(argv, out, err) },
  migrations: { help: MIGRATIONS_HELP, run: (argv) => migrationsCommand(argv, out, err) },
  bindings: { help: BINDINGS_HELP, run: (argv) => bindingsCommand(argv, out, err) },
  events: { help: EVENTS_HELP, run: (argv) => eventsCommand(argv, out, err) },
  hook: { help: HOOK_HELP, run: (argv) => hookCommand(argv, readStdin, err) },
};

const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h';

if (command === undefined || isHelp(command) || command === 'help') {
  out(HELP);
  exit(command === undefined ? 2 : 0);
} else if (command === '--version' || command === '-V') {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  out(`svcswitch ${pkg.version}\n`);
} else if (COMMANDS[command] !== undefined) {
  const c = COMMANDS[command];
  // Help wherever it is asked for (`svcswitch trace --from h11 -h`), but not a file or host named -h after `--`.
  const before = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (before.some(isHelp)) out(c.help);
  else void Promise.resolve(c.run(rest)).then(exit);
} else {
  err(`svcswitch: unknown command "${command}"\nTry 'svcswitch --help'.\n`);
  exit(2);
}
