import { PrefixIndex } from './prefix-index.js';
import { SortedAddresses } from './sorted-addresses.js';
import { readBoundedFile } from '../files/bounded-read.js';
import { LineCounter, isMap, isScalar, parseDocument, visit, type Document } from 'yaml';
import { contains, ipToInt, parsePrefix, type Prefix } from './cidr.js';
import { TopologyError, type TopologyIssue } from './errors.js';
import { FIELDS } from './file-schema.js';
import { MAX_NESTING, nearest, tooDeep } from './file-text.js';
import { Ipv6Checks, type FieldReporter, type Path } from './loader-ipv6.js';
import { MAX_TABLE_BUDGET, MIN_TABLE_BUDGET, reservedMac, TIERS, type ExternalSpec, type HostSpec, type HypervisorSpec, type LinkSpec, type SubnetSpec, type SwitchSpec, type Tier, type Topology } from './model.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** Larger files are refused before parsing: YAML costs about 150 bytes of memory per byte read. */
export const MAX_TOPOLOGY_BYTES = 4 * 1024 * 1024;
/** A file with more problems than this lists the first ones and counts the rest. */
const MAX_ISSUES = 100;
/** Prefixes shorter than this are refused: a subnet of /0 or /1 would swallow the datacenter. */
const MIN_PREFIX_LENGTH = 8;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const MAX_PORT = 0xffffff00;

/** A subnet or external network as far as it validated: enough to place hosts in it. */
interface Network {
  prefix: Prefix;
  path: Path;
  switch: string | undefined;
  gateway: string | undefined;
  external: boolean;
}

/** Reads and validates a topology file; throws TopologyError listing every problem found. */
export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_TOPOLOGY_BYTES).toString('utf8');
  } catch (e) {
    const why = (e as Error).message.startsWith(file) ? (e as Error).message.slice(file.length + 1) : `cannot read: ${(e as Error).message}`;
    throw new TopologyError([{ file, line: 0, column: 0, field: '(file)', why: /more than the/.test(why) ? `${why}; a topology file declares switches, links, subnets and at most some ten thousand hosts` : why }]);
  }
  return parseTopology(text, file);
}

export function parseTopology(text: string, file: string): Topology {
  if (Buffer.byteLength(text) > MAX_TOPOLOGY_BYTES) throw new TopologyError([{ file, line: 0, column: 0, field: '(file)', why: `larger than ${MAX_TOPOLOGY_BYTES} bytes` }]);
  const deep = tooDeep(text);
  if (deep) throw new TopologyError([{ file, ...deep, field: '(yaml)', why: `nested deeper than ${MAX_NESTING} levels` }]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const v = new Validator(file, doc, lines);
  for (const e of doc.errors) v.issueAt(e.pos[0], '(yaml)', e.message.split('\n')[0]!);
  if (doc.errors.length > 0) throw new TopologyError(v.report());
  // Anchors and aliases have no use in a topology file, and aliases are how a small file becomes a huge one.
  visit(doc, {
    Alias(_key, node) {
      v.issueAt(node.range?.[0] ?? 0, '(yaml)', `alias *${node.source} refused: topology files use no anchors or aliases`);
      return visit.BREAK;
    },
  });
  if (v.issues.length > 0) throw new TopologyError(v.report());
  let js: unknown;
  try {
    js = doc.toJS();
  } catch (e) {
    throw new TopologyError([{ file, line: 1, column: 1, field: '(yaml)', why: `cannot be read: ${(e as Error).message}` }]);
  }
  const topo = v.run(js);
  if (v.issues.length > 0) throw new TopologyError(v.report());
  return topo;
}

const fieldName = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';

class Validator implements FieldReporter {
  readonly issues: TopologyIssue[] = [];
  private readonly v6 = new Ipv6Checks(this);
  /** Names of switch entries that have a problem of their own: a reference to one is not an error again (one typo, one error). */
  private readonly brokenSwitches = new Set<string>();
  /** Fields written misspelt (reported as unknown), by their path: not reported missing too. */
  private readonly misspelt = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The issues, at most MAX_ISSUES of them, and a line that counts the rest. */
  report(): TopologyIssue[] {
    if (this.issues.length <= MAX_ISSUES) return this.issues;
    const rest = this.issues.length - MAX_ISSUES;
    return [...this.issues.slice(0, MAX_ISSUES), { file: this.file, line: 0, column: 0, field: '(file)', why: `and ${rest} more problems` }];
  }

  issueAt(offset: number, field: string, why: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.issues.push({ file: this.file, line, column: col, field, why });
  }

  /** Records a problem at the YAML node of `path` (or the nearest ancestor that exists). */
  fail(path: Path, why: string): void {
    const last = path[path.length - 1];
    if (typeof last === 'string') {
      // Point at the field's name: "gateway:" rather than its value, and unknown keys too.
      const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
      const pair = isMap(parent) ? parent.items.find((it) => isScalar(it.key) && it.key.value === last) : undefined;
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.issueAt(range[0], fieldName(path), why);
    }
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return this.issueAt(range[0], fieldName(path), why);
    }
    this.issues.push({ file: this.file, line: 1, column: 1, field: fieldName(path), why });
  }

  /**
   * Every field of `obj` is one of `allowed`: a misspelt `gatway:` is an error, not a field
   * ignored. The field it was meant to be is then not also "required" (one typo, one error).
   */
  private fields(obj: Record<string, unknown>, path: Path, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const near = nearest(k, allowed);
      if (near !== undefined && obj[near] === undefined) this.misspelt.add(fieldName([...path, near]));
      this.fail([...path, k], near !== undefined ? `unknown field: did you mean "${near}"?` : `unknown field (expected one of ${allowed.join(', ')})`);
    }
  }

  /** The switch `sw` names, or undefined with an error (none when that switch's own entry already has one). */
  private switchRef(sw: string, switches: Map<string, SwitchSpec>, path: Path): SwitchSpec | undefined {
    const spec = switches.get(sw);
    if (!spec && !this.brokenSwitches.has(sw)) this.fail(path, `unknown switch "${sw}"`);
    return spec;
  }

  fieldName(path: Path): string {
    return fieldName(path);
  }

  str(obj: Record<string, unknown>, path: Path, key: string, pattern?: RegExp, hint?: string): string | undefined {
    const v = obj[key];
    if (v === undefined && this.misspelt.has(fieldName([...path, key]))) return undefined;
    if (v === undefined || v === null) return void this.fail([...path, key], 'is required');
    if (typeof v !== 'string' && typeof v !== 'number') return void this.fail([...path, key], `must be a string, not ${typeof v}`);
    const s = String(v);
    if (pattern && !pattern.test(s)) return void this.fail([...path, key], `"${s}" is not ${hint}`);
    return s;
  }

  /** A unicast MAC that is not the anycast gateway's: a host with any other could pose as a gateway or a broadcast. */
  private hostMac(h: Record<string, unknown>, path: Path): string | undefined {
    const mac = this.str(h, path, 'mac', MAC, 'a MAC address in lower case such as 02:00:00:00:01:0a');
    if (mac === undefined) return undefined;
    const reserved = reservedMac(mac);
    if (reserved !== undefined) return void this.fail([...path, 'mac'], reserved);
    return mac;
  }

  private port(v: unknown, path: Path): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_PORT) return void this.fail(path, `"${String(v)}" is not a port number (1 to ${MAX_PORT})`);
    return v;
  }

  private list(root: Record<string, unknown>, key: string, required: boolean): Array<Record<string, unknown>> {
    const v = root[key];
    if (v === undefined) {
      if (required) this.fail([key], 'is required');
      return [];
    }
    if (!Array.isArray(v)) return this.fail([key], 'must be a list'), [];
    return v.map((item, i) => {
      if (key !== 'links' && (typeof item !== 'object' || item === null || Array.isArray(item))) {
        this.fail([key, i], 'must be a mapping of fields');
        return {};
      }
      return item as Record<string, unknown>;
    });
  }

  private unique(items: Array<{ value: string | undefined; path: Path }>, what: string): void {
    const seen = new Map<string, Path>();
    for (const { value, path } of items) {
      if (value === undefined) continue;
      const first = seen.get(value);
      if (first) this.fail(path, `${what} "${value}" is already used by ${fieldName(first)}`);
      else seen.set(value, path);
    }
  }

  run(js: unknown): Topology {
    const empty: Topology = { name: '', source: this.file, switches: [], links: [], subnets: [], externals: [], hypervisors: [], hosts: [] };
    if (!isMap(this.doc.contents) || typeof js !== 'object' || js === null) {
      this.fail([], 'a topology file is a mapping with switches, links, subnets, hosts and external');
      return empty;
    }
    const root = js as Record<string, unknown>;
    this.fields(root, [], FIELDS.top);

    const switches = this.switches(root);
    const byName = new Map(switches.map((s) => [s.name, s]));
    const usedPorts = new Map<string, Path>();
    const claimPort = (sw: string, port: number, path: Path): void => {
      const key = `${sw}:${port}`;
      const first = usedPorts.get(key);
      if (first) this.fail(path, `port ${key} is already used by ${fieldName(first)}`);
      else usedPorts.set(key, path);
    };
    const links = this.links(root, byName, claimPort);
    const { subnets, prefixes } = this.subnets(root, byName);
    const externals = this.externals(root, byName, prefixes);
    const hypervisors = this.hypervisors(root, byName, claimPort);
    const hosts = this.hosts(root, byName, externals, prefixes, claimPort, new Map(hypervisors.map((h) => [h.name, h])));
    const linked = new Set(links.flatMap((l) => [l.a.switch, l.b.switch]));
    for (const s of switches) {
      if (s.tier !== 'access' || linked.has(s.name)) continue;
      const i = (root.switches as Array<Record<string, unknown>>).findIndex((raw) => raw?.name === s.name);
      this.fail(['switches', i, 'name'], `access switch ${s.name} has no link: its subnets could reach nothing`);
    }
    this.checkCoaPools(subnets, hosts, prefixes);
    const taken = new Set([...switches.map((s) => s.name), ...hosts.map((h) => h.name)]);
    hypervisors.forEach((v, i) => {
      if (taken.has(v.name)) this.fail(['hypervisors', i, 'name'], `"${v.name}" is already the name of a switch or a host`);
    });
    return { name: typeof root.name === 'string' ? root.name : this.file, source: this.file, switches, links, subnets, externals, hypervisors, hosts };
  }

  private switches(root: Record<string, unknown>): SwitchSpec[] {
    const out: SwitchSpec[] = [];
    this.list(root, 'switches', true).forEach((s, i) => {
      const path = ['switches', i];
      const before = this.issues.length;
      this.fields(s, path, FIELDS.switch);
      const name = this.str(s, path, 'name', NAME, 'a name (a letter, then letters, digits, - or _; 32 at most)');
      const tier = this.str(s, path, 'tier');
      if (tier !== undefined && !TIERS.includes(tier as Tier)) this.fail([...path, 'tier'], `"${tier}" is not one of ${TIERS.join(', ')}`);
      const dpid = this.dpid(s.dpid, [...path, 'dpid']);
      const budget = s.table_budget;
      const goodBudget = budget === undefined || (typeof budget === 'number' && Number.isInteger(budget) && budget >= MIN_TABLE_BUDGET && budget <= MAX_TABLE_BUDGET);
      if (!goodBudget) this.fail([...path, 'table_budget'], `"${String(budget)}" is not a table budget (an integer, ${MIN_TABLE_BUDGET} to ${MAX_TABLE_BUDGET})`);
      if (name && tier && TIERS.includes(tier as Tier) && dpid && this.issues.length === before) out.push({ name, tier: tier as Tier, dpid, ...(typeof budget === 'number' ? { tableBudget: budget } : {}) });
      else if (name) this.brokenSwitches.add(name);
    });
    this.unique(out.map((s, i) => ({ value: s.name, path: ['switches', i, 'name'] })), 'switch name');
    this.unique(out.map((s, i) => ({ value: s.dpid, path: ['switches', i, 'dpid'] })), 'datapath id');
    return out;
  }

  /** An integer, or a string of up to 16 hex digits (0x prefix and colons allowed). */
  private dpid(v: unknown, path: Path): string | undefined {
    // YAML reads `0000000000030004` as the decimal number 30004: the switch would never be recognised.
    const source = (this.doc.getIn(path, true) as { source?: unknown } | undefined)?.source;
    if (typeof v === 'number' && typeof source === 'string' && /^0\d/.test(source)) {
      return void this.fail(path, `${source} is read as the decimal number ${v}: quote it ("${source}") for hex digits, or write 0x${source.replace(/^0+/, '')}`);
    }
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v.toString(16).padStart(16, '0');
    if (typeof v === 'string') {
      const hex = v.replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
      if (/^[0-9a-f]{1,16}$/.test(hex) && /[1-9a-f]/.test(hex)) return hex.padStart(16, '0');
    }
    this.fail(path, v === undefined ? 'is required' : `"${String(v)}" is not a datapath id (a positive integer, or up to 16 hex digits)`);
    return undefined;
  }

  private links(root: Record<string, unknown>, switches: Map<string, SwitchSpec>, claimPort: (sw: string, port: number, path: Path) => void): LinkSpec[] {
    const out: LinkSpec[] = [];
    this.list(root, 'links', true).forEach((raw, i) => {
      const item = raw as unknown;
      if (!Array.isArray(item) || item.length !== 2) {
        this.fail(['links', i], 'a link is a pair [switch:port, switch:port]');
        return;
      }
      const ends = item.map((end: unknown, j) => {
        const path = ['links', i, j];
        const m = typeof end === 'string' ? /^([^:\s]+):(\d+)$/.exec(end) : null;
        if (!m) return void this.fail(path, `"${String(end)}" is not switch:port`);
        if (!this.switchRef(m[1]!, switches, path)) return undefined;
        const port = this.port(Number(m[2]), path);
        if (port === undefined) return undefined;
        claimPort(m[1]!, port, path);
        return { switch: m[1]!, port };
      });
      const [a, b] = ends;
      if (!a || !b) return;
      if (a.switch === b.switch) {
        this.fail(['links', i], `a link cannot join switch ${a.switch} to itself`);
        return;
      }
      out.push({ a, b });
    });
    return out;
  }

  private subnets(root: Record<string, unknown>, switches: Map<string, SwitchSpec>): { subnets: SubnetSpec[]; prefixes: PrefixIndex<Network> } {
    const out: SubnetSpec[] = [];
    const prefixes = new PrefixIndex<Network>();
    this.list(root, 'subnets', true).forEach((s, i) => {
      const path = ['subnets', i];
      this.fields(s, path, FIELDS.subnet);
      const { name, prefix, gateway, sw } = this.networkFields(s, path, switches, prefixes, 'access', 'a subnet is served by an access switch');
      const pool = this.str(s, path, 'coa_pool', /^\S+\s*-\s*\S+$/, 'an address range such as 10.0.1.200-10.0.1.250');
      let coaPool: SubnetSpec['coaPool'] | undefined;
      if (pool !== undefined && prefix) {
        const [first, last] = pool.split('-').map((x) => x.trim());
        const a = ipToInt(first!);
        const b = ipToInt(last!);
        if (a === undefined || b === undefined) this.fail([...path, 'coa_pool'], `"${pool}" is not a range of IPv4 addresses`);
        else if (a > b) this.fail([...path, 'coa_pool'], `range ${pool} ends before it starts`);
        else if (!contains(prefix, a) || !contains(prefix, b)) this.fail([...path, 'coa_pool'], `range ${pool} is not inside ${s.prefix as string}`);
        else if (a === prefix.first || b === prefix.last) this.fail([...path, 'coa_pool'], `range ${pool} includes the network or broadcast address`);
        else coaPool = { first: first!, last: last! };
      }
      // Registered as soon as name and prefix are valid, so one bad field does not cascade into its hosts.
      if (name && prefix && !prefixes.has(name)) prefixes.set(name, { prefix, path, switch: sw, gateway, external: false });
      const ipv6 = this.v6.side(name, s, path);
      const pool6 = this.v6.pool(s, path, ipv6);
      if (name && prefix && gateway && sw && switches.get(sw)?.tier === 'access' && coaPool) {
        out.push({ name, prefix: s.prefix as string, gateway, switch: sw, coaPool, ...(ipv6 && pool6 ? { ipv6: { ...ipv6, coaPool: pool6 } } : {}) });
      }
    });
    this.unique(out.map((s, i) => ({ value: s.name, path: ['subnets', i, 'name'] })), 'subnet name');
    return { subnets: out, prefixes };
  }

  /** The fields subnets and external networks share: name, prefix, gateway, and the switch (of `tier`) that serves it. */
  private networkFields(
    n: Record<string, unknown>,
    path: Path,
    switches: Map<string, SwitchSpec>,
    prefixes: PrefixIndex<Network>,
    tier: Tier,
    rule: string,
  ): { name: string | undefined; prefix: Prefix | undefined; gateway: string | undefined; sw: string | undefined } {
    const name = this.str(n, path, 'name', NAME, 'a name');
    const prefix = this.prefixOf(n, path, prefixes);
    const gateway = this.gatewayOf(n, path, prefix);
    const sw = this.str(n, path, 'switch');
    const spec = sw === undefined ? undefined : this.switchRef(sw, switches, [...path, 'switch']);
    if (spec && spec.tier !== tier) this.fail([...path, 'switch'], `${sw} is a ${spec.tier} switch; ${rule}`);
    return { name, prefix, gateway, sw };
  }

  private prefixOf(s: Record<string, unknown>, path: Path, others: PrefixIndex<Network>): Prefix | undefined {
    const text = this.str(s, path, 'prefix');
    if (text === undefined) return undefined;
    const p = parsePrefix(text);
    if (typeof p === 'string') return void this.fail([...path, 'prefix'], p);
    if (p.length > 30) return void this.fail([...path, 'prefix'], `/${p.length} leaves no room for hosts and a gateway`);
    if (p.length < MIN_PREFIX_LENGTH) return void this.fail([...path, 'prefix'], `/${p.length} is shorter than /${MIN_PREFIX_LENGTH}: it would swallow the datacenter's other networks`);
    const other = others.overlapping(p);
    if (other) return void this.fail([...path, 'prefix'], `${text} overlaps ${other[0]} (${fieldName(other[1].path)})`);
    return p;
  }

  private gatewayOf(s: Record<string, unknown>, path: Path, prefix: Prefix | undefined): string | undefined {
    const gw = this.str(s, path, 'gateway');
    if (gw === undefined) return undefined;
    const n = ipToInt(gw);
    if (n === undefined) return void this.fail([...path, 'gateway'], `"${gw}" is not an IPv4 address`);
    if (prefix && !contains(prefix, n)) return void this.fail([...path, 'gateway'], `${gw} is outside its prefix ${s.prefix as string}`);
    if (prefix && (n === prefix.first || n === prefix.last)) return void this.fail([...path, 'gateway'], `${gw} is the network or broadcast address of ${s.prefix as string}`);
    return gw;
  }

  private externals(root: Record<string, unknown>, switches: Map<string, SwitchSpec>, prefixes: PrefixIndex<Network>): ExternalSpec[] {
    const out: ExternalSpec[] = [];
    this.list(root, 'external', false).forEach((e, i) => {
      const path = ['external', i];
      this.fields(e, path, FIELDS.external);
      const { name, prefix, gateway, sw } = this.networkFields(e, path, switches, prefixes, 'edge', 'external networks are reached through an edge switch');
      if (name && prefixes.has(name)) {
        this.fail([...path, 'name'], `name "${name}" is already a subnet`);
        return;
      }
      if (name && prefix) prefixes.set(name, { prefix, path, switch: sw, gateway, external: true });
      const ipv6 = this.v6.side(name, e, path);
      if (name && prefix && gateway && sw && switches.get(sw)?.tier === 'edge') out.push({ name, prefix: e.prefix as string, gateway, switch: sw, ...(ipv6 ? { ipv6 } : {}) });
    });
    return out;
  }

  /** Hypervisors: a name, and the access switch port their bridge is plugged into (theirs alone). */
  private hypervisors(root: Record<string, unknown>, switches: Map<string, SwitchSpec>, claimPort: (sw: string, port: number, path: Path) => void): HypervisorSpec[] {
    const out: HypervisorSpec[] = [];
    const paths: Path[] = [];
    this.list(root, 'hypervisors', false).forEach((v, i) => {
      const path: Path = ['hypervisors', i];
      this.fields(v, path, FIELDS.hypervisor);
      const name = this.str(v, path, 'name', NAME, 'a name');
      const sw = this.str(v, path, 'switch');
      const port = v.port === undefined ? void this.fail([...path, 'port'], 'is required') : this.port(v.port, [...path, 'port']);
      if (sw !== undefined && !this.switchRef(sw, switches, [...path, 'switch'])) {
        // reported (or its own entry is)
      } else if (sw !== undefined && switches.get(sw)!.tier !== 'access') this.fail([...path, 'switch'], `${sw} is ${switches.get(sw)!.tier}; a hypervisor plugs into an access switch`);
      if (sw !== undefined && port !== undefined && switches.has(sw)) claimPort(sw, port, [...path, 'port']);
      if (name && sw && port !== undefined && switches.get(sw)?.tier === 'access') {
        out.push({ name, switch: sw, port });
        paths.push(path);
      }
    });
    this.unique(out.map((v, i) => ({ value: v.name, path: [...paths[i]!, 'name'] })), 'hypervisor name');
    return out;
  }

  private hosts(
    root: Record<string, unknown>,
    switches: Map<string, SwitchSpec>,
    externals: ExternalSpec[],
    prefixes: PrefixIndex<Network>,
    claimPort: (sw: string, port: number, path: Path) => void,
    hypervisors: Map<string, HypervisorSpec>,
  ): HostSpec[] {
    const out: HostSpec[] = [];
    const paths: Path[] = [];
    const raw: Array<{ h: Record<string, unknown>; path: Path; external?: ExternalSpec }> = this.list(root, 'hosts', true).map((h, i) => ({ h, path: ['hosts', i] }));
    (Array.isArray(root.external) ? (root.external as Array<Record<string, unknown>>) : []).forEach((e, i) => {
      const ext = externals.find((x) => x.name === e?.name);
      const hs = e?.hosts;
      // The hosts of an external network with a problem of its own are not judged against it (one mistake, one error).
      if (hs === undefined || ext === undefined) return;
      if (!Array.isArray(hs)) {
        this.fail(['external', i, 'hosts'], 'must be a list');
        return;
      }
      hs.forEach((h: unknown, j) => {
        if (typeof h !== 'object' || h === null) {
          this.fail(['external', i, 'hosts', j], 'must be a mapping of fields');
          return;
        }
        raw.push({ h: h as Record<string, unknown>, path: ['external', i, 'hosts', j], ...(ext ? { external: ext } : {}) });
      });
    });
    for (const { h, path, external } of raw) {
      this.fields(h, path, FIELDS.host);
      const name = this.str(h, path, 'name', NAME, 'a name');
      const mac = this.hostMac(h, path);
      const ip = this.str(h, path, 'ip');
      const hvName = h.hypervisor === undefined ? undefined : this.str(h, path, 'hypervisor');
      const hv = hvName === undefined ? undefined : hypervisors.get(hvName);
      if (hvName !== undefined && !hv) this.fail([...path, 'hypervisor'], `unknown hypervisor "${hvName}"`);
      if (hvName !== undefined && external) this.fail([...path, 'hypervisor'], `a host of ${external.name} sits on its edge switch, behind no hypervisor`);
      for (const f of ['switch', 'port'] as const) if (hvName !== undefined && h[f] !== undefined) this.fail([...path, f], `a host behind hypervisor ${hvName} is at its ${f}: give one or the other`);
      const sw = external ? external.switch : hvName !== undefined ? hv?.switch : this.str(h, path, 'switch');
      if (external && h.switch !== undefined && h.switch !== external.switch) this.fail([...path, 'switch'], `a host of ${external.name} sits on its edge switch ${external.switch}`);
      const port = hvName !== undefined ? hv?.port : h.port === undefined ? void this.fail([...path, 'port'], 'is required') : this.port(h.port, [...path, 'port']);
      if (sw !== undefined && hvName === undefined && !external) this.switchRef(sw, switches, [...path, 'switch']);
      const n = ip === undefined ? undefined : ipToInt(ip);
      if (ip !== undefined && n === undefined) this.fail([...path, 'ip'], `"${ip}" is not an IPv4 address`);
      let network: (Network & { name: string }) | undefined;
      if (n !== undefined) {
        const found = prefixes.containing(n);
        network = found && { name: found[0], ...found[1] };
        if (!network) this.fail([...path, 'ip'], `${ip} is in no subnet or external network of this file`);
        else if (network.external !== Boolean(external)) this.fail([...path, 'ip'], `${ip} belongs to ${network.external ? 'external network' : 'subnet'} ${network.name}`);
        else if (sw !== undefined && network.switch !== undefined && network.switch !== sw) this.fail([...path, 'switch'], `${ip} is in ${network.name}, served by ${network.switch}, not ${sw}`);
        else if (ip === network.gateway) this.fail([...path, 'ip'], `${ip} is the gateway of ${network.name}`);
        else {
          const p = network.prefix;
          if (n === p.first || n === p.last) this.fail([...path, 'ip'], `${ip} is the network or broadcast address of ${network.name}`);
        }
      }
      const ip6 = this.v6.host(h, path, network?.name);
      // A hypervisor's port is claimed once, by the hypervisor: the hosts behind it share it.
      if (sw !== undefined && port !== undefined && switches.has(sw) && hvName === undefined) claimPort(sw, port, [...path, 'port']);
      if (name && mac && ip && n !== undefined && sw && port !== undefined && network) {
        out.push({ name, mac, ip, ...(ip6 !== undefined ? { ip6 } : {}), switch: sw, port, network: network.name, external: network.external, ...(hv ? { hypervisor: hv.name } : {}) });
        paths.push(path);
      }
    }
    const switchNames = new Set(switches.keys());
    out.forEach((h, i) => {
      if (switchNames.has(h.name)) this.fail([...paths[i]!, 'name'], `"${h.name}" is already a switch name`);
    });
    this.unique(out.map((h, i) => ({ value: h.name, path: [...paths[i]!, 'name'] })), 'host name');
    this.unique(out.map((h, i) => ({ value: h.mac, path: [...paths[i]!, 'mac'] })), 'MAC address');
    this.unique(out.map((h, i) => ({ value: h.ip, path: [...paths[i]!, 'ip'] })), 'IP address');
    this.unique(out.map((h, i) => ({ value: h.ip6, path: [...paths[i]!, 'ip6'] })), 'IPv6 address');
    return out;
  }

  private checkCoaPools(subnets: SubnetSpec[], hosts: HostSpec[], prefixes: PrefixIndex<Network>): void {
    this.v6.poolsSpareHosts(subnets, hosts);
    const byAddress = new SortedAddresses(hosts, (h) => ipToInt(h.ip));
    for (const s of subnets) {
      const range = { first: ipToInt(s.coaPool.first)!, last: ipToInt(s.coaPool.last)! };
      const path = [...prefixes.get(s.name)!.path, 'coa_pool'];
      const gw = ipToInt(s.gateway)!;
      if (gw >= range.first && gw <= range.last) this.fail(path, `range ${s.coaPool.first}-${s.coaPool.last} includes the gateway ${s.gateway}`);
      for (const h of byAddress.within(range.first, range.last)) this.fail(path, `range ${s.coaPool.first}-${s.coaPool.last} includes host ${h.name} (${h.ip})`);
    }
  }
}
