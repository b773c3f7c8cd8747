#!/usr/bin/env node
/**
 * make mutation-scores: the mutation score of every file under src/, from the incremental
 * results committed in reports/ (one per `make mutation` scope). A file's result counts only
 * if it was measured on the file as it is now (same source text); otherwise it is listed as
 * stale. When several scopes measured the same source, the narrower scope (a MUTATE list) is
 * taken: it is the one run to re-measure that file. Prints per file, per folder, and over
 * every file measured, and which files under src/ were never measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DETECTED = new Set(['Killed', 'Timeout']);
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored']);

const reports = readdirSync('reports')
  .filter((f) => f.startsWith('stryker-incremental-') && f.endsWith('.json'))
  .map((f) => ({ name: f, narrow: f.replace(/^stryker-incremental-[a-z]+/, '').length > 5, files: JSON.parse(readFileSync(join('reports', f), 'utf8')).files }));

/** Source files a `make mutation` scope may mutate (as stryker.config.mjs excludes). */
const mutable = (readdirSync('src', { recursive: true }).map(String))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('index.ts') && !f.startsWith('app/commands') && !['openflow/enums.ts', 'openflow/error-codes.ts'].includes(f))
  .map((f) => `src/${f}`)
  .sort();

const rows = [];
const stale = [];
const never = [];
for (const path of mutable) {
  const source = readFileSync(path, 'utf8');
  const candidates = reports.filter((r) => r.files[path] !== undefined);
  const current = candidates.filter((r) => r.files[path].source === source).sort((a, b) => Number(b.narrow) - Number(a.narrow));
  if (current.length === 0) {
    (candidates.length > 0 ? stale : never).push(path);
    continue;
  }
  const mutants = current[0].files[path].mutants.filter((m) => !INVALID.has(m.status));
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const survived = mutants.filter((m) => m.status === 'Survived').length;
  rows.push({ path, folder: path.split('/')[1], valid: mutants.length, detected, survived, noCoverage: mutants.length - detected - survived, report: current[0].name });
}

const pct = (a, b) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
const line = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
const W = [44, 8, 9, 9, 12, 8];
console.log(line(['file', 'mutants', 'detected', 'survived', 'no coverage', 'score'], W));
for (const r of rows) console.log(line([r.path, r.valid, r.detected, r.survived, r.noCoverage, pct(r.detected, r.valid)], W));
console.log('');
console.log(line(['folder', 'mutants', 'detected', 'survived', 'no coverage', 'score'], W));
const folders = [...new Set(rows.map((r) => r.folder))];
const sum = (rs, k) => rs.reduce((n, r) => n + r[k], 0);
for (const f of folders) {
  const rs = rows.filter((r) => r.folder === f);
  console.log(line([`src/${f}/ (${rs.length} files)`, sum(rs, 'valid'), sum(rs, 'detected'), sum(rs, 'survived'), sum(rs, 'noCoverage'), pct(sum(rs, 'detected'), sum(rs, 'valid'))], W));
}
console.log(line([`all measured (${rows.length} of ${mutable.length} files)`, sum(rows, 'valid'), sum(rows, 'detected'), sum(rows, 'survived'), sum(rows, 'noCoverage'), pct(sum(rows, 'detected'), sum(rows, 'valid'))], W));
if (stale.length) console.log(`\nMeasured before their last change (re-run their scope): ${stale.join(', ')}`);
if (never.length) console.log(`\nNever measured: ${never.join(', ')}`);
