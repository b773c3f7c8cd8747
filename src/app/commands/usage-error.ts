/** A command line the CLI cannot act on: printed with the command's name, exit code 2. */
export class UsageError extends Error {}
