/** A command line the CLI cannot act on: printed with the command's name, exit code 2. */
export class UsageError extends Error {}

/** Whether `e` is a usage error: ours, or node:util parseArgs' (an unknown or malformed flag). */
export const isUsageError = (e: unknown): boolean => {
  // Other errors carry codes too, not all of them strings (a DOMException's is a number).
  const code = (e as { code?: unknown } | undefined)?.code;
  return e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
};

/** A command that failed with `e`: says why on stderr and returns its exit code (2 usage, with where to look; 1 otherwise). */
export function failed(command: string, e: unknown, err: (s: string) => void): number {
  if (isUsageError(e)) {
    err(`svcswitch ${command}: ${(e as Error).message}\nTry 'svcswitch ${command} --help'.\n`);
    return 2;
  }
  err(`svcswitch ${command}: ${(e as Error).message}\n`);
  return 1;
}
