#!/usr/bin/env node
import { RUN_HELP, runCommand } from './app/commands/run.js';
import { TOPOLOGY_HELP, topologyCommand } from './app/commands/topology.js';
import { TRACE_HELP, traceCommand } from './app/commands/trace.js';
import { MIGRATE_HELP, migrateCommand } from './app/commands/migrate.js';
import { HOOK_HELP, hookCommand, readStdin } from './app/commands/hook.js';

const HELP = `svcswitch: OpenFlow 1.3 controller for cross-subnet live migration of VMs

Usage:
  svcswitch run [options]          start the controller
  svcswitch topology VERB ...      check, export, draw or generate topology files
  svcswitch trace --from --to ...  the path of one packet through the planned tables
  svcswitch migrate HOA --to SW:P  migrate a VM to another subnet (asks a running controller)
  svcswitch hook libvirt ...       libvirt's QEMU hook: migrations prepared as libvirt migrates VMs
  svcswitch --help                 this text

${RUN_HELP}
${TOPOLOGY_HELP}
${TRACE_HELP}
${MIGRATE_HELP}
${HOOK_HELP}`;

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);
const [command, ...rest] = process.argv.slice(2);

if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  out(HELP);
  process.exitCode = command === undefined ? 2 : 0;
} else if (command === 'run') {
  if (rest.includes('--help')) out(RUN_HELP);
  else void runCommand(rest, err).then((code) => code !== undefined && process.exit(code));
} else if (command === 'topology') {
  process.exitCode = topologyCommand(rest, out, err);
} else if (command === 'trace') {
  if (rest.includes('--help')) out(TRACE_HELP);
  else void traceCommand(rest, out, err).then((code) => (process.exitCode = code));
} else if (command === 'migrate') {
  if (rest.includes('--help')) out(MIGRATE_HELP);
  else void migrateCommand(rest, out, err).then((code) => (process.exitCode = code));
} else if (command === 'hook') {
  if (rest.includes('--help')) out(HOOK_HELP);
  else void hookCommand(rest, readStdin, err).then((code) => (process.exitCode = code));
} else {
  err(`svcswitch: unknown command "${command}"\nTry 'svcswitch --help'.\n`);
  process.exitCode = 2;
}
