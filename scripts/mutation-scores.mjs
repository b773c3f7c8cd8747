#!/usr/bin/env node
/**
 * make mutation-scores: the mutation score of every file under src/, from the incremental
 * results committed in reports/ (one per `make mutation` scope). A file's result counts only
 * if it was measured on the file as it is now (same source text); otherwise it is listed as
 * stale. When several scopes measured the same source (judged by different test files of the
 * unit suite), a mutant counts as detected if any of them detected it: the score is the unit
 * suite's. Prints per file, per folder, and over
 * every file measured, and which files under src/ were never measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DETECTED = new Set(['Killed', 'Timeout']);
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored']);

const reports = readdirSync('reports')
  .filter((f) => f.startsWith('stryker-incremental-') && f.endsWith('.json'))
  .map((f) => ({ name: f, files: JSON.parse(readFileSync(join('reports', f), 'utf8')).files }));

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
  const current = candidates.filter((r) => r.files[path].source === source);
  if (current.length === 0) {
    (candidates.length > 0 ? stale : never).push(path);
    continue;
  }
  /** Each mutant's best verdict over the results: detected, else survived (some test ran it), else no coverage. */
  const verdicts = new Map();
  const rank = (status) => (DETECTED.has(status) ? 2 : status === 'Survived' ? 1 : 0);
  for (const r of current) {
    for (const m of r.files[path].mutants) {
      if (INVALID.has(m.status)) continue;
      const l = m.location;
      const id = `${m.mutatorName}@${l.start.line}:${l.start.column}-${l.end.line}:${l.end.column}/${m.replacement ?? ''}`;
      verdicts.set(id, Math.max(verdicts.get(id) ?? 0, rank(m.status)));
    }
  }
  const all = [...verdicts.values()];
  const detected = all.filter((v) => v === 2).length;
  const survived = all.filter((v) => v === 1).length;
  rows.push({ path, folder: path.split('/')[1], valid: all.length, detected, survived, noCoverage: all.length - detected - survived });
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
