import { Type } from '@sinclair/typebox';
import {
  Binding, Health, HoaParams, Live, Ready, HostInfo, HostsQuery, IdParams, Migration, MigrationBody, PathsBody, PathsQuery, type RouteDoc, SwitchDetail, SwitchEntries, SwitchParams, TopologyBody, TraceBody, TraceQuery,
} from './schemas.js';

/** Every route, as the server registers it and the OpenAPI document lists it. */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'GET', url: '/api/health', summary: 'ok or degraded, with the problems in words; uptime, switches connected and declared, counters', response: Health },
  { method: 'GET', url: '/api/health/live', summary: 'liveness: the controller\'s thread answers (no token needed)', response: Live, open: true },
  {
    method: 'GET', url: '/api/health/ready', summary: 'readiness: every declared switch connected and its tables confirmed; otherwise 503 with the problems (no token needed)',
    response: Ready, unavailable: Ready, open: true,
  },
  { method: 'GET', url: '/api/topology', summary: 'declared and discovered switches and links, with their state', response: TopologyBody },
  {
    method: 'GET', url: '/api/hosts', summary: 'known hosts, a page at a time', querystring: HostsQuery, response: Type.Array(HostInfo),
    headers: { 'x-total-count': 'how many hosts there are in all' },
  },
  {
    method: 'GET', url: '/api/paths', summary: 'shortest valley-free paths and ECMP next hops between two switches', querystring: PathsQuery, response: PathsBody,
    example: '/api/paths?from=acc1&to=acc3',
  },
  { method: 'GET', url: '/api/switches', summary: 'connected switches and their ports', response: Type.Array(SwitchDetail) },
  {
    method: 'GET', url: '/api/switches/:name/entries', params: SwitchParams, response: SwitchEntries,
    summary: 'a switch\'s planned entries and groups by planner (cookie), in ovs-ofctl\'s words, with the switch\'s packet and byte counters when it is connected',
    example: '/api/switches/acc1/entries',
  },
  {
    method: 'GET', url: '/api/trace', summary: 'the path one packet takes through the planned tables, hop by hop (svcswitch trace)', querystring: TraceQuery, response: TraceBody,
    example: '/api/trace?from=h11&to=10.0.3.10&proto=tcp&dport=80',
  },
  { method: 'GET', url: '/api/bindings', summary: 'migrated VMs: HoA, CoA, where they are, mode, state', response: Type.Array(Binding) },
  { method: 'GET', url: '/api/bindings/:hoa', summary: 'one binding', params: HoaParams, response: Binding },
  { method: 'DELETE', url: '/api/bindings/:hoa', summary: 'a migrated VM that is gone: its binding, CoA and entries are removed', params: HoaParams, response: Binding },
  { method: 'GET', url: '/api/migrations', summary: 'recent migrations, with their timelines', response: Type.Array(Migration) },
  { method: 'GET', url: '/api/migrations/:id', summary: 'one migration', params: IdParams, response: Migration },
  {
    method: 'POST', url: '/api/migrations', status: 201, body: MigrationBody, response: Migration,
    summary: 'make-before-break: allocate the CoA, install and confirm the Foreign entries and the bicast; answers once prepared',
    example: '{"hoa":"10.0.1.10","switch":"acc3","port":5,"mode":"optimized"}',
  },
  { method: 'POST', url: '/api/migrations/:id/complete', summary: 'the VM runs at its new place: switch over now', params: IdParams, response: Migration },
  { method: 'DELETE', url: '/api/migrations/:id', summary: 'cancel a pending migration (rolled back)', params: IdParams, response: Migration },
  {
    method: 'GET', url: '/api/events', stream: true, text: 'text/event-stream', response: Type.String(),
    summary: 'server-sent events as they happen: switch-up/down, link-up/down, host-*, discrepancy, binding-set/deleted, migration (each state), announcement-refused; `dropped` when host events came faster than 100 in 100 ms (read /api/hosts again)',
  },
  { method: 'GET', url: '/api/openapi.json', summary: 'this document', response: Type.Object({}, { additionalProperties: true }) },
  {
    method: 'GET', url: '/metrics', summary: 'Prometheus metrics (text exposition format): switches, packet-ins, entries per switch and planner, reconciles, hosts, refusals, bindings, CoA pools, migrations, the API, the process',
    response: Type.String(), text: 'text/plain; version=0.0.4',
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
