import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type TSchema, Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FlowManager } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { Logger } from '../log/logger.js';
import type { TopologyService } from '../topology/topology-service.js';
import { openApiDocument } from './openapi.js';
import { type AdmissionCounts, admitConnections } from './connection-admission.js';
import { FailureBudget } from './failure-budget.js';
import type { BearerToken } from './bearer-token.js';
import type { TraceService } from '../fabric/trace-service.js';
import { MigrationError, type MigrationService } from '../migration/migration-service.js';
import {
  Binding, ErrorBody, Health, HoaParams, HostInfo, HostsQuery, IdParams, Migration, MigrationBody, PathsBody, PathsQuery, type RouteDoc, SwitchDetail, TopologyBody, TraceBody, TraceQuery,
} from './schemas.js';

/** Every route, as the server registers it and the OpenAPI document lists it. */
const ROUTES: readonly RouteDoc[] = [
  { method: 'GET', url: '/api/health', summary: 'liveness, uptime, switches connected and declared', response: Health },
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
  { method: 'GET', url: '/api/openapi.json', summary: 'this document', response: Type.Object({}, { additionalProperties: true }) },
];

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;

/**
 * DNS rebinding: a page of evil.example whose name later resolves to 127.0.0.1 sends
 * `Host: evil.example`. Only an IP literal or localhost (what a name cannot be) is served.
 * Returns why a Host header is refused, or undefined when it is fine.
 */
/** An answer written on the raw connection (before or instead of a request fastify could route), then the connection closed. */
function answerAndClose(socket: Duplex, status: number, error: string): void {
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The status and message for a request Node's HTTP parser gave up on. */
function clientError(code: string | undefined, timeoutMs: number): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, `the request did not arrive within ${timeoutMs} ms`];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'the request headers are too large (16 KiB at most)'];
  return [400, 'not a well-formed HTTP/1.1 request'];
}

/** Headers a request may carry once only: with two, a proxy and this server could each read another one. */
const SINGLE_HEADERS = ['host', 'authorization', 'content-type', 'content-length'];

/** Which single header a request repeats, if any (Node keeps the first of some and joins others). */
function repeatedHeader(raw: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SINGLE_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Methods that change something. A web page can send these cross-origin without a preflight only with a form or text/plain body. */
const isMutating = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
const isJson = (contentType: string | undefined): boolean => /^application\/json\s*(;|$)/i.test(contentType ?? '');

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

function hostRefusal(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return 'a Host header is required';
  // The name, then at most a port: `[::1].evil.example` is a name, not the literal [::1].
  const name = header.replace(/:\d{0,5}$/, '');
  if (name === 'localhost' || IPV4.test(name) || IPV6.test(name)) return undefined;
  return `Host "${header.slice(0, 100)}" refused: address the API by IP or localhost (DNS rebinding protection)`;
}

/**
 * The REST API (JSON), on fastify: every route has a JSON schema that fastify validates
 * queries against, and /api/openapi.json is made from the same schemas. Hostile requests are
 * expected (docs/security.md): a malformed request target, a foreign Host header or a bad
 * parameter gets a 4xx `{"error": ...}`, never an uncaught exception; no CORS header is ever
 * sent. Handlers call services, not switch connections.
 */
export class ApiServer {
  private app: FastifyInstance | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly tracer: TraceService,
    private readonly migration: MigrationService,
    private readonly flows: FlowManager,
    private readonly log: Logger,
    /** With a token, every request that changes something needs it; reads too unless the API is on loopback. */
    private readonly token?: BearerToken,
    /** A request (headers and body) not received within this is answered 408 and its connection closed. */
    private readonly requestTimeoutMs = 10_000,
  ) {}

  /** Connections served, held and refused (set by listen()). */
  admission: AdmissionCounts | undefined;
  /** Failed requests per client address, and how many of their answers were slowed. */
  readonly failures = new FailureBudget();
  slowedFailures = 0;

  /** Reads need no token: set by listen() from the address (loopback only). */
  private readsOpen = true;

  /** The fastify instance with every route, not listening (tests may `inject` into it). */
  build(): FastifyInstance {
    const app = Fastify({
      logger: false,
      bodyLimit: 64 * 1024,
      routerOptions: { maxParamLength: 200 },
      requestTimeout: this.requestTimeoutMs,
      connectionTimeout: this.requestTimeoutMs,
      // What Node itself refuses (a request too slow, headers too large, not HTTP) is answered in the API's own JSON form.
      clientErrorHandler: (err: Error & { code?: string }, socket) => {
        if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
        answerAndClose(socket, ...clientError(err.code, this.requestTimeoutMs));
      },
      return503OnClosing: true,
      ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    });
    app.addSchema(ErrorBody);
    // JSON only: text/plain (what a web page may send without a preflight) is 415, like a form.
    app.removeContentTypeParser('text/plain');
    // A mutating request without a body (complete, cancel, delete) may still say application/json: an empty body is no body.
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = body.toString();
      if (text === '') return done(null, undefined);
      return jsonParser(req, text, done);
    });
    app.addHook('onRequest', async (req, reply) => {
      const repeated = repeatedHeader(req.raw.rawHeaders);
      if (repeated !== undefined) return this.refuse(req, reply, 400, { error: `the ${repeated} header appears more than once` });
      const refused = hostRefusal(req.headers.host);
      if (refused !== undefined) return this.refuse(req, reply, 403, { error: refused });
      // Cross-site request forgery: a page the operator has open can POST a form or text/plain, never application/json without a preflight (and no CORS header is ever sent).
      if (req.routeOptions.url !== undefined && isMutating(req.method) && !isJson(req.headers['content-type'])) {
        return this.refuse(req, reply, 415, { error: `${req.method} needs "Content-Type: application/json" (with or without a body)` });
      }
      reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
      const unauthorized = this.token?.refusal(req.method, req.headers.authorization, this.readsOpen);
      if (unauthorized !== undefined) return this.refuse(req, reply.header('www-authenticate', 'Bearer realm="svcswitch"'), 401, { error: unauthorized });
      return undefined;
    });
    app.setErrorHandler(async (err: { statusCode?: number; message: string; validation?: unknown }, req, reply) => {
      if (err instanceof MigrationError) return err.status < 500 ? this.refuse(req, reply, err.status, { error: err.message }) : reply.code(err.status).send({ error: err.message });
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.log.error('REST API handler failed', { url: req.url, error: err.message });
      const example = err.validation ? ROUTES.find((r) => r.url === req.routeOptions.url)?.example : undefined;
      if (status === 500) return reply.code(status).send({ error: 'internal error; see the controller log' });
      return this.refuse(req, reply, status, { error: `${err.message}${example ? ` (for example ${example})` : ''}` });
    });
    app.setNotFoundHandler(async (req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      const allowed = ROUTES.filter((r) => new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`).test(path)).map((r) => r.method);
      if (allowed.length > 0) return this.refuse(req, reply.header('allow', allowed.join(', ')), 405, { error: `${req.method} not allowed on ${path} (${allowed.join(', ')} are)` });
      return this.refuse(req, reply, 404, { error: `no resource ${path.slice(0, 200)}`, resources: ROUTES.map((r) => r.url) });
    });
    const m = this.migration;
    const param = (req: FastifyRequest, name: 'hoa' | 'id'): string => (req.params as Record<string, string>)[name]!;
    const found = <T>(what: T | undefined, error: string): T => {
      if (what === undefined) throw new MigrationError(404, error);
      return what;
    };
    const handlers: Record<string, (req: FastifyRequest, reply: FastifyReply) => unknown> = {
      'GET /api/health': () => this.health(),
      'GET /api/topology': () => ({ name: this.topology.declared?.name ?? null, switches: this.topology.switchList(), links: this.topology.linkList() }),
      'GET /api/hosts': (req, reply) => this.hosts(req.query as HostsQuery, reply),
      'GET /api/paths': (req) => this.paths(req.query as PathsQuery),
      'GET /api/switches': () => this.openflow.switchSummaries().map((s) => ({ ...s, name: this.topology.nameOf(s.dpid) })),
      'GET /api/openapi.json': () => openApiDocument(ROUTES),
      'GET /api/trace': (req) => {
        const r = this.tracer.run(req.query as TraceQuery);
        if (typeof r === 'string') throw Object.assign(new Error(r), { statusCode: /^no host/.test(r) ? 404 : 400 });
        return r;
      },
      'GET /api/bindings': () => m.bindings.all(),
      'GET /api/bindings/:hoa': (req) => found(m.bindings.get(param(req, 'hoa')), `no binding for ${param(req, 'hoa')}`),
      'DELETE /api/bindings/:hoa': (req) => m.deleteBinding(param(req, 'hoa')),
      'GET /api/migrations': () => m.migrations(),
      'GET /api/migrations/:id': (req) => found(m.migration(param(req, 'id')), `no migration ${param(req, 'id')}`),
      'POST /api/migrations': (req) => m.migrate(req.body as MigrationBody),
      'POST /api/migrations/:id/complete': (req) => m.complete(param(req, 'id')),
      'DELETE /api/migrations/:id': (req) => m.cancel(param(req, 'id')),
    };
    for (const route of ROUTES) {
      const status = route.status ?? 200;
      const schema: { querystring?: TSchema; params?: TSchema; body?: TSchema; response: Record<number, TSchema> } = { response: { [status]: route.response, '4xx': ErrorBody } as Record<number, TSchema> };
      if (route.querystring) schema.querystring = route.querystring;
      if (route.params) schema.params = route.params;
      if (route.body) schema.body = route.body;
      const handler = handlers[`${route.method} ${route.url}`]!;
      app.route({ method: route.method, url: route.url, schema, handler: async (req: FastifyRequest, reply: FastifyReply) => reply.code(status).send(await handler(req, reply)) });
    }
    this.app = app;
    return app;
  }

  /** A request refused (4xx): answered at once within its client's failure budget, late past it. */
  private async refuse(req: FastifyRequest, reply: FastifyReply, status: number, body: Record<string, unknown>): Promise<FastifyReply> {
    const wait = this.failures.fail(req.socket.remoteAddress ?? '');
    if (wait > 0) {
      this.slowedFailures++;
      await new Promise((r) => setTimeout(r, wait));
    }
    return reply.code(status).send(body);
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    if (!isLoopback(host) && !this.token) throw new Error(`the REST API on ${host} (not loopback) needs --api-token-file: anyone who reaches it could migrate VMs`);
    this.readsOpen = isLoopback(host);
    const app = this.build();
    // A connection silent for the timeout (a request that never finishes: slow loris) is told why, then closed.
    app.server.on('timeout', (socket: Duplex) => answerAndClose(socket, 408, `the request did not arrive within ${this.requestTimeoutMs} ms`));
    this.admission = admitConnections(app.server, this.requestTimeoutMs);
    await app.listen({ host, port });
    const addr = app.server.address() as AddressInfo;
    this.log.info('REST API listening', { address: `http://${addr.address}:${addr.port}/api/health` });
    return addr;
  }

  async close(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    this.admission?.releaseHeld();
    if (app) await app.close();
  }

  private health(): unknown {
    return {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      switchesConnected: this.openflow.connected.size,
      switchesDeclared: this.topology.declared?.switches.length ?? 0,
      topology: this.topology.declared?.source ?? null,
      tablesInSync: this.flows.inSync,
      flowModsSent: this.flows.sentMessages,
      driftRepaired: this.flows.driftRepaired,
      hostRefusals: this.topology.hostRefusals(),
    };
  }

  /** A page of hosts; the total in `x-total-count`, as a full table would be megabytes a call. */
  private hosts(q: HostsQuery, reply: FastifyReply): unknown {
    if (q.mac !== undefined) {
      const h = this.topology.hostByMac(q.mac);
      void reply.header('x-total-count', h ? '1' : '0');
      return h ? [h] : [];
    }
    const page = this.topology.hostPage(q.offset ?? 0, q.limit ?? 1000);
    void reply.header('x-total-count', String(page.total));
    return page.hosts;
  }

  private paths(q: PathsQuery): unknown {
    const known = new Set(this.topology.switchList().map((s) => s.name));
    for (const s of [q.from, q.to]) if (!known.has(s)) throw Object.assign(new Error(`no switch named "${s}"`), { statusCode: 404 });
    return { from: q.from, to: q.to, paths: this.topology.paths(q.from, q.to), nextHops: this.topology.nextHops(q.from, q.to) };
  }
}
