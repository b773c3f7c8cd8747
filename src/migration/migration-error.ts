/** A request the migration refuses, with the HTTP status that says why (400, 404, 409, 503). */
export class MigrationError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** A write of the state store failed: the request is refused and nothing changed. */
export function unsaved(e: unknown): MigrationError {
  return new MigrationError(503, `migration state could not be saved, nothing changed: ${(e as Error).message}`);
}
