import type { Register } from './program.js';
import { UsageError, isUsageError } from './usage-error.js';
import { TopologyError } from '../../topology/errors.js';
import { fatTree, threeTier } from '../../topology/generator.js';
import { loadTopology } from '../../topology/loader.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../topology/model.js';
import { topologySchemaDocument } from '../../topology/file-schema.js';
import { topologySvg } from '../../topology/svg.js';

/** `topology check FILE... [--json]`: every file checked, not only the first. */
function check(files: string[], json: boolean, out: (s: string) => void, err: (s: string) => void): number {
  const results = files.map((file) => {
    try {
      const t = loadTopology(file);
      return { file, valid: true, summary: `${t.name}: ${t.switches.length} switches, ${t.links.length} links, ${t.subnets.length} subnets, ${t.externals.length} external networks, ${t.hosts.length} hosts` };
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      return { file, valid: false, problems: e.issues.map(({ line, column, field, why }) => ({ line, column, field, why })), message: e.message };
    }
  });
  if (json) out(`${JSON.stringify(results.map(({ message: _m, ...r }) => r), null, 2)}\n`);
  else {
    for (const r of results) {
      if (r.valid) out(`${r.file}: ${r.summary}: valid\n`);
      else err(`${r.message}\n`);
    }
  }
  return results.every((r) => r.valid) ? 0 : 1;
}

interface GenerateFlags {
  k?: string;
  hostsPerAccess?: string;
  cores?: string;
  aggregations?: string;
  accessPerAggregation?: string;
  ipv6?: boolean;
}

function generate(kind: string, values: GenerateFlags): string {
  const int = (name: keyof GenerateFlags, flag: string): number => {
    const v = values[name];
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: "${v ?? ''}" is not a whole number >= 1`);
    return n;
  };
  const ipv6 = values.ipv6 === true;
  if (kind === 'fat-tree') return fatTree(int('k', '--k'), values.hostsPerAccess === undefined ? undefined : int('hostsPerAccess', '--hosts-per-access'), { ipv6 });
  if (kind === 'three-tier') return threeTier({ cores: int('cores', '--cores'), aggregations: int('aggregations', '--aggregations'), accessPerAggregation: int('accessPerAggregation', '--access-per-aggregation'), hostsPerAccess: int('hostsPerAccess', '--hosts-per-access'), ipv6 });
  throw new UsageError(`generate: "${kind}" is neither fat-tree nor three-tier`);
}

/** Exit codes: 0 done, 1 invalid topology, 2 usage. */
function guarded(err: (s: string) => void, fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TopologyError) return err(`${e.message}\n`), 1;
    if (isUsageError(e) || (e instanceof Error && /fat-tree k/.test(e.message))) return err(`svcswitch topology: ${(e as Error).message}\n`), 2;
    throw e;
  }
}

export const registerTopology: Register = (program, io, exit) => {
  const topology = program.command('topology').description('check, export, draw and generate datacenter topology files');
  topology
    .command('check')
    .description('validate each file; a summary, or every problem as file:line:column: field: why (exit 1 if any is invalid)')
    .argument('<files...>', 'topology files (YAML)')
    .option('--json', 'for scripts: [{"file","valid","summary"|"problems":[{"line","column","field","why"}]}]')
    .action((files: string[], values: { json?: boolean }) => exit(guarded(io.err, () => check(files, values.json ?? false, io.out, io.err))));
  topology
    .command('json')
    .description('the validated topology as JSON, with the fabric\'s gateway MAC and link-local address (what mininet/dc.py builds from)')
    .argument('<file>')
    // With the fabric's own addresses, so the lab derives them from the one definition (a host's IPv6 default route is the gateway's link-local address).
    .action((file: string) => exit(guarded(io.err, () => (io.out(`${JSON.stringify({ ...loadTopology(file), fabric: { gatewayMac: GATEWAY_MAC, gatewayLinkLocal: GATEWAY_LINK_LOCAL } }, null, 2)}\n`), 0))));
  topology
    .command('svg')
    .description('a drawing of the topology with its legend, on stdout')
    .argument('<file>')
    .action((file: string) => exit(guarded(io.err, () => (io.out(topologySvg(loadTopology(file))), 0))));
  topology
    .command('schema')
    .description('the JSON Schema of topology files (what topologies/topology.schema.json holds, for editors)')
    .action(() => exit((io.out(`${JSON.stringify(topologySchemaDocument(), null, 2)}\n`), 0)));
  topology
    .command('generate')
    .description('a topology file on stdout: fat-tree --k K [--hosts-per-access N], or three-tier --cores C --aggregations A --access-per-aggregation X --hosts-per-access H; --ipv6 for dual-stack')
    .argument('<kind>', 'fat-tree or three-tier')
    .option('--k <k>', 'fat-tree: pods (even)')
    .option('--hosts-per-access <n>', 'hosts on each access switch')
    .option('--cores <n>', 'three-tier: core switches')
    .option('--aggregations <n>', 'three-tier: aggregation switches')
    .option('--access-per-aggregation <n>', 'three-tier: access switches under each aggregation switch')
    .option('--ipv6', 'dual-stack: an IPv6 prefix, gateway and CoA pool for every network, an IPv6 address for every host')
    .action((kind: string, values: GenerateFlags) => exit(guarded(io.err, () => (io.out(generate(kind, values)), 0))));
};
