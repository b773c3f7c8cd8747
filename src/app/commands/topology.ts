import { UsageError, isUsageError } from './usage-error.js';
import { parseArgs } from 'node:util';
import { TopologyError } from '../../topology/errors.js';
import { fatTree, threeTier } from '../../topology/generator.js';
import { loadTopology } from '../../topology/loader.js';
import { topologySvg } from '../../topology/svg.js';

export const TOPOLOGY_HELP = `svcswitch topology: check, export, draw and generate datacenter topology files

  svcswitch topology check FILE... [--json]
                                         validate each; prints a summary, or every problem as file:line:column: field: why
                                         (--json: [{"file","valid","summary"|"problems":[{"line","column","field","why"}]}]);
                                         exit 1 if any is invalid
  svcswitch topology json FILE           the validated topology as JSON (what mininet/dc.py builds from)
  svcswitch topology svg FILE            a drawing of the topology, on stdout
  svcswitch topology generate fat-tree --k K [--hosts-per-access N]
  svcswitch topology generate three-tier --cores C --aggregations A --access-per-aggregation X --hosts-per-access H
`;

/** `topology check FILE... [--json]`: every file checked, not only the first. */
function check(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { values, positionals: files } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (files.length === 0) throw new UsageError('check: give one FILE or more');
  const results = files.map((file) => {
    try {
      const t = loadTopology(file);
      return { file, valid: true, summary: `${t.name}: ${t.switches.length} switches, ${t.links.length} links, ${t.subnets.length} subnets, ${t.externals.length} external networks, ${t.hosts.length} hosts` };
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      return { file, valid: false, problems: e.issues.map(({ line, column, field, why }) => ({ line, column, field, why })), message: e.message };
    }
  });
  if (values.json) out(`${JSON.stringify(results.map(({ message: _m, ...r }) => r), null, 2)}\n`);
  else {
    for (const r of results) {
      if (r.valid) out(`${r.file}: ${r.summary}: valid\n`);
      else err(`${r.message}\n`);
    }
  }
  return results.every((r) => r.valid) ? 0 : 1;
}

/** Returns the exit code: 0 done, 1 invalid topology, 2 usage. */
export function topologyCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const [verb, ...rest] = argv;
  try {
    if (verb === 'check') return check(rest, out, err);
    if (verb === 'json' || verb === 'svg') {
      const [file] = rest;
      if (!file) return err(`svcswitch topology ${verb}: give a FILE\n`), 2;
      const t = loadTopology(file);
      if (verb === 'json') out(JSON.stringify(t, null, 2) + '\n');
      else if (verb === 'svg') out(topologySvg(t));
      else out(`${file}: ${t.name}: ${t.switches.length} switches, ${t.links.length} links, ${t.subnets.length} subnets, ${t.externals.length} external networks, ${t.hosts.length} hosts: valid\n`);
      return 0;
    }
    if (verb === 'generate') {
      const [kind, ...flags] = rest;
      const { values } = parseArgs({
        args: flags,
        options: { k: { type: 'string' }, cores: { type: 'string' }, aggregations: { type: 'string' }, 'access-per-aggregation': { type: 'string' }, 'hosts-per-access': { type: 'string' } },
        strict: true,
      });
      const int = (name: keyof typeof values, fallback?: number): number => {
        const v = values[name] ?? (fallback === undefined ? undefined : String(fallback));
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: "${v ?? ''}" is not a whole number >= 1`);
        return n;
      };
      if (kind === 'fat-tree') out(fatTree(int('k'), values['hosts-per-access'] === undefined ? undefined : int('hosts-per-access')));
      else if (kind === 'three-tier') out(threeTier({ cores: int('cores'), aggregations: int('aggregations'), accessPerAggregation: int('access-per-aggregation'), hostsPerAccess: int('hosts-per-access') }));
      else throw new UsageError(`generate: "${kind ?? ''}" is neither fat-tree nor three-tier`);
      return 0;
    }
    err(TOPOLOGY_HELP);
    return verb === undefined || verb === '--help' ? 0 : 2;
  } catch (e) {
    if (e instanceof TopologyError) return err(e.message + '\n'), 1;
    if (isUsageError(e)) return err(`svcswitch topology: ${(e as Error).message}\n`), 2;
    if (e instanceof Error && /fat-tree k/.test(e.message)) return err(`svcswitch topology: ${e.message}\n`), 2;
    throw e;
  }
}

