#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { registerEvents } from './app/commands/events.js';
import { readStdin, registerHook } from './app/commands/hook.js';
import { registerMigrate } from './app/commands/migrate.js';
import { registerBindings, registerMigrations } from './app/commands/migrations.js';
import { runCli } from './app/commands/program.js';
import { registerRun } from './app/commands/run.js';
import { registerTopology } from './app/commands/topology.js';
import { registerTrace } from './app/commands/trace.js';

/** The `svcswitch` command; every command is defined beside its code in src/app/commands/. */
const SUMMARY = 'OpenFlow 1.3 controller for cross-subnet live migration of VMs. `svcswitch COMMAND --help` tells all of a command; the commands that ask a running controller take --api URL and --token-file F, or read SVCSWITCH_API and SVCSWITCH_TOKEN_FILE from the environment.';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const io = { out: (s: string): void => void process.stdout.write(s), err: (s: string): void => void process.stderr.write(s), stdin: readStdin };
const commands = [registerRun, registerTopology, registerTrace, registerMigrate, registerMigrations, registerBindings, registerEvents, registerHook];

process.exitCode = await runCli(process.argv.slice(2), io, pkg.version, commands, SUMMARY);
