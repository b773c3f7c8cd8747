#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, parseListen, type ControllerConfig } from './app/config.js';
import { buildContainer } from './app/container.js';
import { TOKENS } from './app/tokens.js';

const HELP = `svcswitch: OpenFlow 1.3 controller for cross-subnet live migration of VMs

Usage:
  svcswitch run [options]     start the controller
  svcswitch --help            this text

Options of run:
  --of-listen HOST:PORT     where switches connect (default 127.0.0.1:6653; 6633 also works)
  --api-listen HOST:PORT    serve the read-only REST API there (default: off; e.g. 127.0.0.1:8080)
  --log-level LEVEL         error | warn | info | debug (default info)
  --log-format FORMAT       json | pretty (default: pretty on a terminal, json otherwise)
  --echo-interval MS        idle time before an ECHO_REQUEST; 3 silent intervals drop the switch (default 5000)
`;

function fail(message: string): never {
  process.stderr.write(`svcswitch: ${message}\nTry 'svcswitch --help'.\n`);
  process.exit(2);
}

function parseConfig(argv: string[]): ControllerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      'of-listen': { type: 'string' },
      'api-listen': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'echo-interval': { type: 'string' },
    },
    strict: true,
  });
  const of = parseListen('--of-listen', values['of-listen'] ?? `${DEFAULT_CONFIG.ofHost}:${DEFAULT_CONFIG.ofPort}`);
  const format = values['log-format'] ?? DEFAULT_CONFIG.logFormat;
  if (format !== 'json' && format !== 'pretty') fail(`--log-format: "${format}" is neither json nor pretty`);
  const level = values['log-level'] ?? DEFAULT_CONFIG.logLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(level)) fail(`--log-level: "${level}" is not error, warn, info or debug`);
  const echo = Number(values['echo-interval'] ?? DEFAULT_CONFIG.echoIntervalMs);
  if (!Number.isInteger(echo) || echo < 50) fail(`--echo-interval: "${values['echo-interval']}" is not a whole number of milliseconds >= 50`);
  return {
    ofHost: of.host,
    ofPort: of.port,
    api: values['api-listen'] === undefined ? undefined : parseListen('--api-listen', values['api-listen']),
    logLevel: level,
    logFormat: format,
    echoIntervalMs: echo,
  };
}

async function run(argv: string[]): Promise<void> {
  let config: ControllerConfig;
  try {
    config = parseConfig(argv);
  } catch (e) {
    fail((e as Error).message);
  }
  const container = buildContainer(config);
  const log = container.get(TOKENS.logger);
  const openflow = container.get(TOKENS.openflow);
  const api = config.api ? container.get(TOKENS.api) : undefined;
  try {
    await openflow.listen(config.ofHost, config.ofPort);
    if (api && config.api) await api.listen(config.api.host, config.api.port);
  } catch (e) {
    log.error('cannot start', { error: (e as Error).message });
    await openflow.close();
    process.exit(1);
  }
  const stop = async (signal: string): Promise<void> => {
    log.info('stopping', { signal });
    await api?.close();
    await openflow.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(HELP);
  process.exit(command === undefined ? 2 : 0);
} else if (command === 'run') {
  void run(rest);
} else {
  fail(`unknown command "${command}"`);
}
