// `make lint`: every path the README and docs/ name (src/..., test/..., docs/... and the other
// folders of the repository) exists, so that a rename cannot leave the docs pointing nowhere.
// A path with a placeholder (<scope>, NAME, *, ...) or one a run makes (bench/results/, reports/mutation/) is not checked.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const ROOTS = ['src', 'test', 'lab', 'bench', 'docs', 'examples', 'mininet', 'deploy', 'topologies', 'scripts', 'web', 'reports', '.ci'];
const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const path = new RegExp(`(?<![\\w./-])((?:${ROOTS.map((r) => r.replace('.', '\\.')).join('|')})/[\\w./-]*[\\w/])`, 'g');
const missing = [];
for (const file of files) {
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    for (const [at, p] of [...line.matchAll(path)].map((m) => [m.index, m[1]])) {
      if (/^-?</.test(line.slice(at + p.length)) || /^(bench\/results|reports\/mutation)\//.test(p)) continue;
      if (/[A-Z]{2,}|\*|\.\.\.|\{/.test(p.replace(/\.md$|README/g, '')) && !existsSync(p)) continue;
      const candidate = p.replace(/[.,:;)]+$/, '');
      if (!existsSync(candidate)) missing.push(`${file}:${i + 1}: ${candidate} does not exist`);
    }
  });
}
if (missing.length > 0) {
  process.stderr.write(`${missing.join('\n')}\n${missing.length} path(s) in the docs name nothing\n`);
  process.exit(1);
}
process.stdout.write(`docs: every path named in ${files.length} files exists\n`);
