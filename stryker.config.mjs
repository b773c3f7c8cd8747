/**
 * Mutation testing of the unit suite (make mutation). Stryker mutates the TypeScript under
 * src/, builds the sandbox with tsc, and runs the compiled unit tests (node:test, TAP output)
 * that cover each mutant. Incremental: the results are kept in reports/stryker-incremental-SCOPE.json
 * (committed), so a run re-tests only mutants whose code or tests changed.
 *
 * SCOPE picks layers (openflow, controller, topology, fabric, migration, state, api, app, packet, log), each
 * mutated and judged by its own test folder: a full run takes longer than an hour on a
 * 2-core machine, a layer fits.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const scope = process.env.SCOPE;
const layers = scope ? scope.split(',') : ['log', 'openflow', 'packet', 'controller', 'topology', 'fabric', 'migration', 'state', 'api', 'app'];

/** A file-name tag for a MUTATE list: the files' names, or a digest of them when that is too long for a file name. */
function filesTag(list) {
  const names = list.replace(/src\/|\.ts/g, '').replace(/[^a-z0-9]+/gi, '_');
  return names.length <= 120 ? names : `${list.split(',').length}-files-${createHash('sha256').update(list).digest('hex').slice(0, 12)}`;
}

/** The compiled unit tests of one layer's test folder. */
function unitTests(layer) {
  let names = [];
  try {
    names = readdirSync(join('test', layer), { recursive: true }).map(String);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.test.ts') && !/\.(oracle|integration|e2e)\.test\.ts$/.test(n))
    .map((n) => `dist/test/${layer}/${n.replace(/\.ts$/, '.js')}`);
}

export default {
  testRunner: 'tap',
  tap: {
    // A layer is judged by its own unit tests (test/<layer>/, no oracle, integration or e2e
    // file): a mutant the codec's tests miss is a gap even if a slow scripted-switch test
    // elsewhere happens to notice it. Listed by name: the tap runner takes no negated globs.
    // TESTS=test/topology/loader.test.ts,... narrows the judges too (a file judged by its own tests only).
    testFiles: process.env.TESTS ? process.env.TESTS.split(',').map((t) => `dist/${t.replace(/\.ts$/, '.js')}`) : layers.flatMap(unitTests),
  },
  // The web view's modules too: the API's tests serve them.
  buildCommand: 'npm run --silent build',
  mutate: [
    // MUTATE=src/topology/host-tracker.ts,... narrows a layer's run to some files.
    ...(process.env.MUTATE ? process.env.MUTATE.split(',') : layers.map((l) => `src/${l}/**/*.ts`)),
    // The CLI's argument plumbing and the packet-in hot paths' byte offsets are covered by the
    // Mininet and benchmark runs, not by unit tests; the codec's enum tables are data.
    '!src/app/commands/**',
    '!src/openflow/enums.ts',
    '!src/openflow/error-codes.ts',
    '!src/**/index.ts',
  ],
  ignorePatterns: ['dist', 'bench/results', 'reports', 'out', '.stryker-tmp'],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${scope ?? 'all'}${process.env.MUTATE ? `-${filesTag(process.env.MUTATE)}` : ''}.json`,
  concurrency: 2,
  // TIMEOUT_MS shortens the wait for a mutant that hangs a scripted-switch test (a hang counts as killed).
  timeoutMS: Number(process.env.TIMEOUT_MS || 20000),
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${scope ?? 'all'}.json` },
  htmlReporter: { fileName: `reports/mutation/${scope ?? 'all'}.html` },
  thresholds: { high: 80, low: 70, break: null },
  cleanTempDir: 'always',
};
