import { Command, CommanderError } from 'commander';

/**
 * The `svcswitch` command line on commander: every command and subcommand with its options,
 * `-h`/`--help` anywhere, `--version`, unknown options and commands refused (exit 2, with
 * where to look). Each command defines itself beside its code (`register` in each module of
 * this folder); an action resolves with its exit code.
 */

/** Where a command writes, and what it reads. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
}

/** What a command module gives the program: its definitions, each action reporting its exit code through `exit`. */
export type Register = (program: Command, io: Io, exit: (code: number) => void) => void;

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Io, version: string, commands: readonly Register[], summary: string): Promise<number> {
  let code = 0;
  const program = new Command('svcswitch')
    .description(summary)
    .version(`svcswitch ${version}`, '-V, --version', 'the version')
    .helpOption('-h, --help', 'this help')
    .helpCommand(false)
    .exitOverride()
    .showSuggestionAfterError(true)
    // The errors are written below, in the form every command's own usage errors take.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined });
  for (const register of commands) register(program, io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    // A command without its subcommand (or svcswitch alone) showed its help on stderr: a usage error.
    if (e.code === 'commander.help') return 2;
    const name = program.commands.find((c) => c.name() === argv[0])?.name();
    const where = name === undefined ? 'svcswitch' : `svcswitch ${name}`;
    io.err(`${where}: ${e.message.replace(/^error: /, '')}\nTry '${where} --help'.\n`);
    return 2;
  }
}
