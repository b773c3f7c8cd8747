import type { MigrationMode } from './binding-store.js';

export interface MigrationOptions {
  /** The mode of a migration that names none (and of every announced one). */
  mode: MigrationMode;
  /** A prepared migration not completed within this is rolled back. */
  timeoutMs: number;
  /**
   * 'orchestrated-only' (the default): a hypervisor's announcement alone never moves a VM; it
   * completes a migration the cloud manager asked for. 'any': it may, once the VM is known to
   * have left its old place (docs/security.md).
   */
  trigger: 'any' | 'orchestrated-only';
  /** Migrations kept for GET /api/migrations (the oldest finished ones go first). */
  history: number;
  /** How long a migration request waits for its switches to confirm the prepared tables (default CONFIRM_TIMEOUT_MS). */
  confirmTimeoutMs?: number;
  /** How long a released CoA rests before it is handed out again (default COA_REST_MS, 30 s). */
  coaRestMs?: number;
  /** How long link changes are gathered before every VM's part is re-planned (default 20 ms). */
  coalesceMs?: number;
}

export const DEFAULT_MIGRATION_OPTIONS: MigrationOptions = { mode: 'optimized', timeoutMs: 60_000, trigger: 'orchestrated-only', history: 256 };
