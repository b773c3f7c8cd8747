import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type StateDatabase = Database.Database;

/**
 * The schema, one step per version: `PRAGMA user_version` says how many steps a file has
 * had, and opening it runs the rest, each in a transaction of its own. A step is never
 * edited once released: a change is a new step.
 */
export const SCHEMA_STEPS: readonly string[] = [
  // 1: the migration's state.
  `CREATE TABLE bindings (
     hoa TEXT PRIMARY KEY, mac TEXT NOT NULL,
     home_subnet TEXT NOT NULL, home_switch TEXT NOT NULL, home_port INTEGER NOT NULL,
     subnet TEXT NOT NULL, coa TEXT NOT NULL, switch TEXT NOT NULL, port INTEGER NOT NULL,
     mode TEXT NOT NULL CHECK (mode IN ('mobile-ip', 'optimized', 'first-hop')),
     state TEXT NOT NULL CHECK (state IN ('prepared', 'active')),
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     UNIQUE (subnet, coa)
   ) STRICT;
   CREATE TABLE bicast_groups (hoa TEXT PRIMARY KEY, group_id INTEGER NOT NULL UNIQUE) STRICT;
   CREATE TABLE migrations_in_flight (hoa TEXT PRIMARY KEY, record TEXT NOT NULL, coa_was_held INTEGER NOT NULL, deadline INTEGER NOT NULL) STRICT;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;`,
  // 2: learned hosts.
  `CREATE TABLE hosts (mac TEXT PRIMARY KEY, ip TEXT, switch TEXT NOT NULL, port INTEGER NOT NULL) STRICT;`,
  // 3: finished migrations, the last few, for the API after a restart.
  `CREATE TABLE migration_history (id INTEGER PRIMARY KEY, record TEXT NOT NULL) STRICT;`,
  // 4: released Care-of Addresses resting before reuse.
  `CREATE TABLE coa_rest (coa TEXT PRIMARY KEY, subnet TEXT NOT NULL, until INTEGER NOT NULL) STRICT;`,
];

/** A state file svcswitch cannot use: names the file and why. */
export class StateFileError extends Error {
  constructor(file: string, why: string) {
    super(`${file}: ${why}`);
    this.name = 'StateFileError';
  }
}

/** `$XDG_STATE_HOME/svcswitch`, or `~/.local/state/svcswitch`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'svcswitch');
}

/**
 * Opens (creating it if needed) `DIR/state.db`, in WAL mode with `synchronous=NORMAL`: a
 * committed transaction survives the controller's crash or kill -9; a power cut may lose
 * the last few (docs/reliability.md says why that is the trade). Brings the schema up to
 * date, or refuses a file written by a newer svcswitch.
 */
export function openStateDatabase(dir: string, steps: readonly string[] = SCHEMA_STEPS): StateDatabase {
  const file = join(dir, 'state.db');
  let db: StateDatabase;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateFileError(file, `cannot be opened: ${(e as Error).message}`);
  }
  const lock = lockStateDir(dir);
  try {
    // Bindings and learned hosts are the tenants' business: the file and its WAL are the controller's user's alone (SQLite gives the WAL the file's mode).
    closeSync(openSync(file, 'a', 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
  } catch (e) {
    releaseLock(lock);
    throw new StateFileError(file, `cannot be opened: ${(e as Error).message}`);
  }
  // Closing the file lets another controller have the dir.
  const close = db.close.bind(db);
  db.close = () => {
    close();
    releaseLock(lock);
    return db;
  };
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 1000');
  db.pragma('foreign_keys = ON');
  try {
    migrateSchema(db, steps);
  } catch (e) {
    db.close();
    throw new StateFileError(file, (e as Error).message);
  }
  return db;
}

/** Runs the schema steps a database has not had yet; throws if it has had more than there are. */
export function migrateSchema(db: StateDatabase, steps: readonly string[]): void {
  const at = db.pragma('user_version', { simple: true }) as number;
  if (at > steps.length) throw new Error(`schema version ${at} is newer than this svcswitch knows (${steps.length}); upgrade svcswitch or use another --state-dir`);
  for (let v = at; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * One controller per state dir: two would each load the bindings once and then write over
 * each other's (the second's migrations failed on the file's UNIQUE constraints). `DIR/lock`
 * holds the owner's pid, made with O_EXCL. A lock whose process is gone (kill -9, a crash) is
 * stale and taken over; one of this very process is its own (tests restart in-process). The
 * lock goes when the file is closed, or when the process exits. Returns the lock's path.
 */
export function lockStateDir(dir: string): string {
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldLocks.add(lock);
      if (!exitHooked) process.once('exit', () => {
        for (const l of heldLocks) releaseLock(l);
      });
      exitHooked = true;
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateFileError(lock, `cannot be created: ${(e as Error).message}`);
    }
    const holder = Number.parseInt(readLock(lock), 10);
    if (holder === process.pid) return lock;
    if (Number.isInteger(holder) && holder > 0 && isNodeProcess(holder)) {
      throw new StateFileError(dir, `in use by the svcswitch of pid ${holder} (${lock}); stop it, or give this one another --state-dir`);
    }
    try {
      unlinkSync(lock);
    } catch {
      // another starter took it over first: the next attempt says who holds it
    }
  }
  throw new StateFileError(lock, 'taken by another svcswitch starting at the same time');
}

const readLock = (lock: string): string => {
  try {
    return readFileSync(lock, 'utf8').slice(0, 32);
  } catch {
    return '';
  }
};

/** Whether `pid` is a live Node.js process (a pid reused by something else since is no holder). */
function isNodeProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|svcswitch/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return true;
  }
}

/** Locks this process holds, released at its exit if not before. */
const heldLocks = new Set<string>();
let exitHooked = false;

function releaseLock(lock: string): void {
  heldLocks.delete(lock);
  if (Number.parseInt(readLock(lock), 10) !== process.pid) return;
  try {
    unlinkSync(lock);
  } catch {
    // already gone
  }
}
