import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { switchEntries } from '../controller/switch-entries.js';
import { openApiDocument } from './openapi.js';
import { type RouteContext, clientError, problems, uptimeSeconds } from './route-context.js';
import {
  Binding, ClusterBody, SwitchCapacity, Health, HoaParams, Live, Ready, HostInfo, HostsQuery, IdParams, Migration, MigrationBody, PathsBody, PathsQuery, type RouteDoc, SwitchDetail, SwitchEntries, SwitchParams, TopologyBody, TraceBody, TraceQuery,
} from './schemas.js';

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name]!;
const found = <T>(what: T | undefined, error: string): T => {
  if (what === undefined) throw clientError(404, error);
  return what;
};

/** A page of hosts (the total in `x-total-count`: a full table would be megabytes a call), or the one host with a MAC or a declared name. */
function hosts(ctx: RouteContext, q: HostsQuery, reply: FastifyReply): unknown {
  if (q.mac !== undefined || q.name !== undefined) {
    const h = q.mac !== undefined ? ctx.topology.hostByMac(q.mac) : ctx.topology.hostByName(q.name!);
    void reply.header('x-total-count', h ? '1' : '0');
    return h ? [h] : [];
  }
  const page = ctx.topology.hostPage(q.offset ?? 0, q.limit ?? 1000);
  void reply.header('x-total-count', String(page.total));
  return page.hosts;
}

function paths(ctx: RouteContext, q: PathsQuery): unknown {
  const known = new Set(ctx.topology.switchList().map((s) => s.name));
  for (const s of [q.from, q.to]) if (!known.has(s)) throw clientError(404, `no switch named "${s}"`);
  return { from: q.from, to: q.to, paths: ctx.topology.paths(q.from, q.to), nextHops: ctx.topology.nextHops(q.from, q.to) };
}

async function entries(ctx: RouteContext, name: string): Promise<unknown> {
  const s = found(ctx.topology.switchList().find((x) => x.name === name), `no switch named "${name}"`);
  return { switch: s.name, dpid: s.dpid, ...(await switchEntries(ctx.flows.plans.plan(s.dpid), ctx.openflow.connection(s.dpid))) };
}

function health(ctx: RouteContext): unknown {
  const now = problems(ctx);
  return {
    status: now.length === 0 ? 'ok' : 'degraded',
    problems: now,
    uptimeSeconds: uptimeSeconds(ctx),
    switchesConnected: ctx.openflow.connected.size,
    switchesDeclared: ctx.topology.declared?.switches.length ?? 0,
    topology: ctx.topology.declared?.source ?? null,
    tablesInSync: ctx.flows.inSync,
    flowModsSent: ctx.flows.sentMessages,
    driftRepaired: ctx.flows.driftRepaired,
    hostRefusals: ctx.topology.hostRefusals(),
  };
}

/** Every route, as the server registers it and the OpenAPI document lists it: its schemas and what answers it, in one place. */
export const ROUTES: readonly RouteDoc[] = [
  {
    method: 'GET', url: '/api/cluster', summary: 'with --cluster: the live members, each switch\'s master and generation id, and the migration leader, as this member sees them (404 alone)', response: ClusterBody,
    handle: (ctx) => found(ctx.cluster, 'not a cluster member (svcswitch run --cluster)').view(),
  },
  { method: 'GET', url: '/api/health', summary: 'ok or degraded, with the problems in words; uptime, switches connected and declared, counters', response: Health, handle: health },
  {
    method: 'GET', url: '/api/health/live', summary: 'liveness: the controller\'s thread answers (no token needed)', response: Live, open: true,
    handle: (ctx) => ({ status: 'live', uptimeSeconds: uptimeSeconds(ctx) }),
  },
  {
    method: 'GET', url: '/api/health/ready', summary: 'readiness: every declared switch connected and its tables confirmed; otherwise 503 with the problems (no token needed)',
    response: Ready, unavailable: Ready, open: true,
    handle: (ctx, _req, reply) => {
      const now = problems(ctx);
      if (now.length > 0) void reply.code(503);
      return { status: now.length === 0 ? 'ready' : 'not-ready', problems: now };
    },
  },
  {
    method: 'GET', url: '/api/topology', summary: 'declared and discovered switches and links, with their state', response: TopologyBody,
    handle: (ctx) => ({ name: ctx.topology.declared?.name ?? null, switches: ctx.topology.switchList(), links: ctx.topology.linkList() }),
  },
  {
    method: 'GET', url: '/api/hosts', summary: 'known hosts, a page at a time; or the one with a MAC or a declared name', querystring: HostsQuery, response: Type.Array(HostInfo),
    headers: { 'x-total-count': 'how many hosts there are in all' }, handle: (ctx, req, reply) => hosts(ctx, req.query as HostsQuery, reply),
  },
  {
    method: 'GET', url: '/api/paths', summary: 'shortest valley-free paths and ECMP next hops between two switches', querystring: PathsQuery, response: PathsBody,
    example: '/api/paths?from=acc1&to=acc3', handle: (ctx, req) => paths(ctx, req.query as PathsQuery),
  },
  {
    method: 'GET', url: '/api/switches', summary: 'connected switches and their ports', response: Type.Array(SwitchDetail),
    handle: (ctx) => ctx.openflow.switchSummaries().map((s) => ({ ...s, name: ctx.topology.nameOf(s.dpid) })),
  },
  {
    method: 'GET', url: '/api/switches/:name/entries', params: SwitchParams, response: SwitchEntries,
    summary: 'a switch\'s planned entries and groups by planner (cookie), in ovs-ofctl\'s words, with the switch\'s packet and byte counters when it is connected',
    example: '/api/switches/acc1/entries', handle: (ctx, req) => entries(ctx, param(req, 'name')),
  },
  {
    method: 'GET', url: '/api/trace', summary: 'the path one packet takes through the planned tables, hop by hop (svcswitch trace)', querystring: TraceQuery, response: TraceBody,
    example: '/api/trace?from=h11&to=10.0.3.10&proto=tcp&dport=80',
    handle: (ctx, req) => {
      const r = ctx.tracer.run(req.query as TraceQuery);
      if (typeof r === 'string') throw clientError(/^no host/.test(r) ? 404 : 400, r);
      return r;
    },
  },
  {
    method: 'GET', url: '/api/capacity', summary: 'each switch with a table budget: its budget, the entries planned on it, and how many more bindings of each mode it fits',
    response: Type.Array(SwitchCapacity), handle: (ctx) => ctx.migration.capacity(),
  },
  { method: 'GET', url: '/api/bindings', summary: 'migrated VMs: HoA, CoA, where they are, mode, state', response: Type.Array(Binding), handle: (ctx) => ctx.migration.bindings.all() },
  {
    method: 'GET', url: '/api/bindings/:hoa', summary: 'one binding', params: HoaParams, response: Binding,
    handle: (ctx, req) => found(ctx.migration.bindings.get(param(req, 'hoa')), `no binding for ${param(req, 'hoa')}`),
  },
  {
    method: 'DELETE', url: '/api/bindings/:hoa', leader: true, summary: 'a migrated VM that is gone: its binding, CoA and entries are removed', params: HoaParams, response: Binding,
    handle: (ctx, req) => ctx.migration.deleteBinding(param(req, 'hoa')),
  },
  { method: 'GET', url: '/api/migrations', leader: true, summary: 'recent migrations, with their timelines', response: Type.Array(Migration), handle: (ctx) => ctx.migration.migrations() },
  {
    method: 'GET', url: '/api/migrations/:id', leader: true, summary: 'one migration', params: IdParams, response: Migration,
    handle: (ctx, req) => found(ctx.migration.migration(param(req, 'id')), `no migration ${param(req, 'id')}`),
  },
  {
    method: 'POST', url: '/api/migrations', status: 201, leader: true, body: MigrationBody, response: Migration,
    summary: 'make-before-break: allocate the CoA, install and confirm the Foreign entries and the bicast; answers once prepared',
    example: '{"hoa":"10.0.1.10","switch":"acc3","port":5,"mode":"optimized"}', handle: (ctx, req) => ctx.migration.migrate(req.body as MigrationBody),
  },
  {
    method: 'POST', url: '/api/migrations/:id/complete', leader: true, summary: 'the VM runs at its new place: switch over now', params: IdParams, response: Migration,
    handle: (ctx, req) => ctx.migration.complete(param(req, 'id')),
  },
  {
    method: 'DELETE', url: '/api/migrations/:id', leader: true, summary: 'cancel a pending migration (rolled back)', params: IdParams, response: Migration,
    handle: (ctx, req) => ctx.migration.cancel(param(req, 'id')),
  },
  {
    method: 'GET', url: '/api/events', stream: true, text: 'text/event-stream', response: Type.String(),
    summary: 'server-sent events as they happen: switch-up/down, link-up/down, host-*, discrepancy, binding-set/deleted, migration (each state), announcement-refused; `dropped` when host events came faster than 100 in 100 ms (read /api/hosts again)',
  },
  { method: 'GET', url: '/api/openapi.json', summary: 'this document', response: Type.Object({}, { additionalProperties: true }), handle: () => openApiDocument(ROUTES) },
  {
    method: 'GET', url: '/metrics', summary: 'Prometheus metrics (text exposition format): switches, packet-ins, entries per switch and planner, reconciles, hosts, refusals, bindings, CoA pools, migrations, the API, the process',
    response: Type.String(), text: 'text/plain; version=0.0.4',
    handle: async (ctx, _req, reply) => {
      void reply.type(ctx.metrics.contentType);
      return ctx.metrics.scrape();
    },
  },
];

const patterns = ROUTES.map((r) => ({ method: r.method as string, path: new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`) }));

/** What a request no route takes is answered: 405 with the methods its path has, or 404 with the resources there are. */
export interface Unrouted {
  status: 404 | 405;
  error: string;
  allow?: string;
  resources?: readonly string[];
}

/** The stream of server-sent events, which the HTTP front answers itself. */
export const EVENTS_PATH = ROUTES.find((r) => r.stream)!.url;

/** Paths open without the token (a load balancer's probes). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.open).map((r) => r.url));

/** Undefined when a route takes `method` on `path` (the path without its query); otherwise why not. */
export function unrouted(method: string, path: string): Unrouted | undefined {
  const allowed = patterns.filter((p) => p.path.test(path)).map((p) => p.method);
  if (allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET'))) return undefined;
  if (allowed.length > 0) return { status: 405, error: `${method} not allowed on ${path.slice(0, 200)} (${allowed.join(', ')} are)`, allow: allowed.join(', ') };
  return { status: 404, error: `no resource ${path.slice(0, 200)}`, resources: ROUTES.map((r) => r.url) };
}
