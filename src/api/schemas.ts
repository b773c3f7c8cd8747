import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { RouteHandler } from './route-context.js';
import { MIGRATION_MODES } from '../migration/binding-store.js';
import { REFUSAL_RULES } from '../topology/host-store.js';
import { TRACE_PROTOS } from '../fabric/trace-service.js';

/**
 * The JSON schemas of the REST API: fastify validates requests (and serialises replies)
 * with them, and /api/openapi.json is made from them, so the document cannot drift from
 * what the server does.
 */

export const ErrorBody = Type.Object({ error: Type.String() }, { additionalProperties: true, $id: 'Error' });

const SwitchRef = Type.Object({ switch: Type.String(), port: Type.Integer() });

const SwitchInfo = Type.Object({
  name: Type.String(),
  dpid: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  tier: Type.Optional(Type.String()),
  connected: Type.Boolean(),
});

const LinkInfo = Type.Object({ a: SwitchRef, b: SwitchRef, declared: Type.Boolean(), confirmed: Type.Boolean(), up: Type.Boolean() });

export const HostInfo = Type.Object({
  name: Type.Optional(Type.String()),
  mac: Type.String(),
  ip: Type.Optional(Type.String()),
  switch: Type.String(),
  port: Type.Integer(),
  declared: Type.Boolean(),
  seen: Type.Boolean(),
});

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded while a declared switch is not connected or a switch\'s tables are not confirmed in sync' }),
  problems: Type.Array(Type.String(), { description: 'why it is degraded, in words (empty when ok)' }),
  uptimeSeconds: Type.Integer(),
  switchesConnected: Type.Integer(),
  switchesDeclared: Type.Integer(),
  topology: Type.Union([Type.String(), Type.Null()]),
  tablesInSync: Type.Boolean({ description: 'every connected switch holds its latest plan, confirmed by barrier' }),
  flowModsSent: Type.Integer({ description: 'FLOW_MOD and GROUP_MOD messages sent since start (0 after a warm restart)' }),
  driftRepaired: Type.Integer({ description: 'entries and groups the audit found deleted, changed or added behind the controller\'s back, and repaired' }),
  hostRefusals: Type.Record(Type.String(), Type.Integer(), { description: `host sightings refused since start, by rule (${REFUSAL_RULES.join(', ')})` }),
});

export const Live = Type.Object({ status: Type.Literal('live'), uptimeSeconds: Type.Integer() });

export const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  problems: Type.Array(Type.String(), { description: 'why it is not ready (empty when ready)' }),
});

export const TopologyBody = Type.Object({ name: Type.Union([Type.String(), Type.Null()]), switches: Type.Array(SwitchInfo), links: Type.Array(LinkInfo) });

export const HostsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'hosts in one page' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'hosts to skip, in the order they became known' })),
    mac: Type.Optional(Type.String({ pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$', description: 'a MAC address in lower case, such as 02:00:0a:00:01:0a (only the host with it, as a cloud manager knows its VM)' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a declared host\'s name, such as h11 (only that host)' })),
  },
  { additionalProperties: false },
);
export type HostsQuery = Static<typeof HostsQuery>;

const SwitchName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'a switch name (letters, digits, - and _), such as acc3' });

export const PathsQuery = Type.Object({ from: SwitchName, to: SwitchName }, { additionalProperties: false });
export type PathsQuery = Static<typeof PathsQuery>;

export const PathsBody = Type.Object({
  from: Type.String(),
  to: Type.String(),
  paths: Type.Array(Type.Array(Type.String())),
  nextHops: Type.Array(Type.Object({ port: Type.Integer(), peer: Type.String(), peerPort: Type.Integer() })),
});

export const SwitchParams = Type.Object({ name: SwitchName }, { additionalProperties: false });

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const SwitchEntries = Type.Object({
  switch: Type.String(),
  dpid: Type.String(),
  counters: Type.String({ description: 'read from the switch, or why not' }),
  planners: Type.Array(
    Type.Object({
      planner: Type.String(),
      cookie: Type.String(),
      entries: Type.Array(Type.Object({ table: Type.Integer(), priority: Type.Integer(), match: Type.String(), actions: Type.String(), packets: Nullable(Type.Integer()), bytes: Nullable(Type.Integer()) })),
      groups: Type.Array(Type.Object({ id: Type.String(), type: Type.Integer(), buckets: Type.Integer() })),
    }),
  ),
});

export const SwitchDetail = Type.Object({
  dpid: Type.String(),
  name: Type.String(),
  peer: Type.String(),
  tables: Type.Optional(Type.Integer()),
  ports: Type.Array(Type.Object({ portNo: Type.Integer(), name: Type.String(), hwAddr: Type.String(), linkDown: Type.Boolean() })),
});

export const ClusterBody = Type.Object({
  member: Type.String(),
  joined: Type.Boolean({ description: 'false: it has stood down (its lease may have expired) and is joining again' }),
  members: Type.Array(Type.String()),
  masters: Type.Array(Type.Object({ dpid: Type.String(), member: Type.String(), generation: Type.String({ description: 'the OpenFlow generation id (the etcd revision of the claim)' }) })),
  migrationLeader: Type.Optional(Type.Object({ member: Type.String(), term: Type.String({ description: 'the etcd revision of its claim: every write of the migration state is guarded by it' }) }, { description: 'the member that writes the migration state (docs/cluster.md); absent while none holds it' })),
  changes: Type.Integer({ description: 'claims, releases and stand-downs this member made since it started' }),
  longestAckGapMs: Type.Integer({ description: 'the longest etcd stall this member saw: the most time between two acknowledged keep-alives' }),
});

export const TraceQuery = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 64, description: 'a host name or address' }),
    to: Type.String({ pattern: '^(\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:]{2,39})$', description: 'an IPv4 or IPv6 address' }),
    proto: Type.Optional(Type.Union(TRACE_PROTOS.map((p) => Type.Literal(p)))),
    dport: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  },
  { additionalProperties: false },
);
export type TraceQuery = Static<typeof TraceQuery>;

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
export const TraceBody = Type.Object({
  hops: Type.Array(
    Type.Object({
      switch: Type.String(),
      inPort: Type.Integer(),
      outPort: Type.Union([Type.Integer(), Type.Literal('controller')]),
      packet: Type.Object({
        eth_src: Opt(Type.String()), eth_dst: Opt(Type.String()), ipv4_src: Opt(Type.String()), ipv4_dst: Opt(Type.String()), ttl: Opt(Type.Integer()),
        arp: Opt(Type.Object({ op: Type.Integer(), sha: Type.String(), spa: Type.String(), tha: Type.String(), tpa: Type.String() }, { description: 'an ARP packet\'s op and addresses' })),
        ipv6: Opt(Type.Object({ src: Type.String(), dst: Type.String() }, { description: 'an IPv6 packet\'s addresses (its hop limit is ttl)' })),
        nd: Opt(Type.Object({
          type: Type.Integer(), target: Type.String(), sll: Opt(Type.String()), tll: Opt(Type.String()), flags: Opt(Type.Integer()), optionType: Opt(Type.Integer()),
        }, { description: 'a neighbour discovery message: 135 a solicitation, 136 an advertisement (one the switch made from a solicitation has flags R|S|O and the gateway\'s MAC as tll)' })),
      }),
      alternatives: Opt(Type.Array(Type.Integer())),
    }),
  ),
  result: Type.Union([Type.Literal('delivered'), Type.Literal('dropped'), Type.Literal('controller'), Type.Literal('loop')]),
  at: SwitchRef,
  reason: Opt(Type.String()),
});

/** A dotted quad whose every octet is 0-255 (10.0.1.300 is refused here, not looked up). */
const Ipv4 = Type.String({ pattern: '^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$', maxLength: 15, description: 'an IPv4 address (a VM\'s address, such as 10.0.1.10; the CLI takes names too)' });
const Mode = Type.Union(MIGRATION_MODES.map((m) => Type.Literal(m)));
const Place = Type.Object({ switch: Type.String(), port: Type.Integer(), coa: Type.Optional(Type.String()), subnet: Type.String() });

export const MigrationBody = Type.Object(
  {
    hoa: Ipv4,
    switch: SwitchName,
    port: Type.Integer({ minimum: 1, maximum: 0xffffff00, description: 'a host port of an access switch' }),
    mode: Type.Optional(Mode),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000, description: 'rolled back if not completed within this many ms (default: the controller\'s --migration-timeout); a live migration of several GiB takes minutes' })),
  },
  { additionalProperties: false },
);
export type MigrationBody = Static<typeof MigrationBody>;

export const Migration = Type.Object({
  id: Type.String(),
  hoa: Type.String(),
  mac: Type.String(),
  mode: Mode,
  trigger: Type.Union([Type.Literal('orchestrated'), Type.Literal('announced')]),
  from: Place,
  to: Place,
  status: Type.String(),
  reason: Type.Optional(Type.String()),
  timeline: Type.Array(Type.Object({ step: Type.String(), at: Type.Integer() })),
});

export const SwitchCapacity = Type.Object({
  switch: Type.String(),
  budget: Type.Integer({ description: 'its table_budget from the topology file' }),
  entries: Type.Integer({ description: 'flow entries and groups planned on it now' }),
  fits: Type.Object(Object.fromEntries(MIGRATION_MODES.map((m) => [m, Nullable(Type.Integer())])), {
    description: 'by mode, how many more bindings whose Home and Foreign are other switches it fits (null: that mode puts nothing on it)',
  }),
});

export const Binding = Type.Object({
  hoa: Type.String(),
  mac: Type.String(),
  homeSubnet: Type.String(),
  home: SwitchRef,
  subnet: Type.String(),
  coa: Type.String(),
  switch: Type.String(),
  port: Type.Integer(),
  mode: Mode,
  state: Type.Union([Type.Literal('prepared'), Type.Literal('active')]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

export const HoaParams = Type.Object({ hoa: Ipv4 }, { additionalProperties: false });
export const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,12}$', description: 'a migration id (a number, as POST /api/migrations answered it)' }) }, { additionalProperties: false });

/** One route as the OpenAPI document describes it. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  summary: string;
  /** 200 unless said (201 for a migration prepared). */
  status?: number;
  params?: TSchema;
  body?: TSchema;
  querystring?: TSchema;
  response: TSchema;
  /** The answer is text in this media type, not JSON (Prometheus' exposition format). */
  text?: string;
  /** The body of a 503 the route may answer (readiness). */
  unavailable?: TSchema;
  /** Answered by the HTTP front itself, as a stream that stays open (server-sent events): the controller's thread has no handler for it. */
  stream?: boolean;
  /** Open without the token, even off loopback (nothing in it is secret): what a load balancer probes. */
  open?: boolean;
  headers?: Record<string, string>;
  /** A request that works, quoted in the error of one that does not validate. */
  example?: string;
  /** In a cluster, answered by the migration leader: a follower forwards it there (leader-forward.ts). */
  leader?: boolean;
  /** What answers it (every route but the event stream, which the HTTP front answers). */
  handle?: RouteHandler;
}
