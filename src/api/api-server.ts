import type { AddressInfo } from 'node:net';
import type { TSchema } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FlowManager } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { Logger } from '../log/logger.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { Metrics } from './metrics.js';
import { type SchemaError, describeValidation } from './validation-errors.js';
import type { RouteContext } from './route-context.js';
import type { BearerToken } from './bearer-token.js';
import { EventFeed } from './event-feed.js';
import { type Answer, type ForwardedRequest, FrontDoor } from './front-door.js';
import type { FrontCounts } from './front-messages.js';
import { SAFE_HEADERS, isLoopback, refusalOf } from './request-guard.js';
import { OPEN_PATHS, ROUTES, unrouted } from './routes.js';
import type { TraceService } from '../fabric/trace-service.js';
import { MigrationError } from '../migration/migration-error.js';
import type { MigrationService } from '../migration/migration-service.js';
import { ErrorBody } from './schemas.js';
import { ANSWERED_BY, forwardToLeader } from './leader-forward.js';

/** The largest request body (a migration request is a few hundred bytes). */
const BODY_LIMIT = 64 * 1024;

/** Headers of the connection, which the HTTP front writes itself. */
const FRONT_SETS = new Set(['content-length', 'connection', 'keep-alive', 'date', 'transfer-encoding']);

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
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** With a token, every request that changes something needs it; reads too unless the API is on loopback. */
    private readonly token?: BearerToken,
    /** A request (headers and body) not received within this is answered 408 and its connection closed. */
    private readonly requestTimeoutMs = 10_000,
    /** With --cluster: the election, for GET /api/cluster. */
    private readonly cluster: RouteContext['cluster'] = undefined,
  ) {}

  /** The HTTP front's thread (set by listen()). */
  private front: FrontDoor | undefined;
  /** The controller's events, on their way to the front's event streams (set by listen()). */
  private feed: EventFeed | undefined;

  /** What the HTTP front did with connections and requests, as it last reported (set by listen()). */
  get frontCounts(): FrontCounts | undefined {
    return this.front?.counts;
  }

  /** Reads need no token: set by listen() from the address (loopback only). */
  private readsOpen = true;

  /** The fastify instance with every route, not listening (tests may `inject` into it). */
  build(): FastifyInstance {
    const app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT,
      routerOptions: { maxParamLength: 200 },
      // verbose: each error carries its value and schema, which describeValidation turns into the operator's words.
      ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false, verbose: true } },
      schemaErrorFormatter: (errors, dataVar) => new Error(describeValidation(errors as unknown as SchemaError[], dataVar)),
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
    // The HTTP front ran these checks already; they run again here for whatever reaches the app another way (inject).
    app.addHook('onRequest', async (req, reply) => {
      const h = req.headers;
      const refusal = refusalOf({ method: req.method, rawHeaders: req.raw.rawHeaders, host: h.host, contentType: h['content-type'], authorization: h.authorization, routed: req.routeOptions.url !== undefined, open: OPEN_PATHS.has(req.routeOptions.url ?? '') }, this.token, this.readsOpen);
      void reply.headers(SAFE_HEADERS);
      if (refusal !== undefined) return reply.headers(refusal.headers ?? {}).code(refusal.status).send({ error: refusal.error });
      return undefined;
    });
    app.setErrorHandler(async (err: { statusCode?: number; message: string; validation?: unknown }, req, reply) => {
      if (err instanceof MigrationError) return reply.code(err.status).send({ error: err.message });
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.log.error('REST API handler failed', { url: req.url, error: err.message });
      const example = err.validation ? ROUTES.find((r) => r.url === req.routeOptions.url)?.example : undefined;
      if (status === 500) return reply.code(status).send({ error: 'internal error; see the controller log' });
      return reply.code(status).send({ error: `${err.message}${example ? ` (for example ${example})` : ''}` });
    });
    app.setNotFoundHandler(async (req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      const why = unrouted(req.method, path) ?? { status: 404, error: `no resource ${path.slice(0, 200)}` };
      if (why.allow !== undefined) void reply.header('allow', why.allow);
      return reply.code(why.status).send({ error: why.error, ...(why.resources ? { resources: why.resources } : {}) });
    });
    const ctx: RouteContext = { topology: this.topology, tracer: this.tracer, migration: this.migration, openflow: this.openflow, flows: this.flows, metrics: this.metrics, startedAt: this.started, cluster: this.cluster };
    for (const route of ROUTES.filter((r) => !r.stream)) {
      const status = route.status ?? 200;
      // A text answer (Prometheus' format) is sent as it is: no JSON schema serializes it.
      const schema: { querystring?: TSchema; params?: TSchema; body?: TSchema; response: Record<number, TSchema> } = {
        response: { ...(route.text ? {} : { [status]: route.response }), '4xx': ErrorBody, ...(route.unavailable ? { 503: route.unavailable } : {}) } as Record<number, TSchema>,
      };
      if (route.querystring) schema.querystring = route.querystring;
      if (route.params) schema.params = route.params;
      if (route.body) schema.body = route.body;
      const handle = route.handle;
      if (handle === undefined) throw new Error(`route ${route.method} ${route.url} has no handler`);
      app.route({
        method: route.method, url: route.url, schema,
        handler: async (req: FastifyRequest, reply: FastifyReply) => {
          // In a cluster, what the migration leader answers is answered there.
          if (route.leader && this.cluster) {
            if (!this.migration.isLeader) return forwardToLeader(this.cluster, req, reply);
            void reply.header(ANSWERED_BY, this.cluster.view().member);
          }
          const body = await handle(ctx, req, reply);
          // A handler may answer otherwise (readiness: 503); by default the route's status.
          return reply.code(reply.statusCode === 200 ? status : reply.statusCode).send(body);
        },
      });
    }
    this.app = app;
    return app;
  }

  /**
   * Listens through the HTTP front (src/api/http-front.ts: its own thread, its own heap): the
   * front answers what it can refuse on its own and passes on the rest, which this thread
   * answers through the fastify app.
   */
  async listen(host: string, port: number): Promise<AddressInfo> {
    if (!isLoopback(host) && !this.token) throw new Error(`the REST API on ${host} (not loopback) needs --api-token-file: anyone who reaches it could migrate VMs`);
    this.readsOpen = isLoopback(host);
    const app = this.build();
    await app.ready();
    this.metrics.start();
    this.front = new FrontDoor((req) => this.inject(app, req), this.log);
    const front = this.front;
    this.feed = new EventFeed((text) => front.publish(text));
    this.feed.start({ topology: this.topology.events$, bindings: this.migration.bindings.changes$, migrations: this.migration.events$ });
    const addr = await this.front.open({ host, port, requestTimeoutMs: this.requestTimeoutMs, bodyLimit: BODY_LIMIT, readsOpen: this.readsOpen, ...(this.token ? { tokenDigest: this.token.digest } : {}) });
    this.log.info('REST API listening', { address: `http://${addr.address}:${addr.port}/api/health` });
    return addr;
  }

  private async inject(app: FastifyInstance, req: ForwardedRequest): Promise<Answer> {
    const res = await app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, remoteAddress: req.remoteAddress, ...(req.body === undefined ? {} : { payload: req.body }) });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !FRONT_SETS.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    return { status: res.statusCode, headers, body: res.body };
  }

  async close(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    this.feed?.stop();
    this.feed = undefined;
    await this.front?.close();
    this.front = undefined;
    this.metrics.stop();
    if (app) await app.close();
  }
}
