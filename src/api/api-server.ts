import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { TopologyService } from '../topology/topology-service.js';

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
type Handler = (query: URLSearchParams) => Reply;

const bad = (error: string): Reply => ({ status: 400, body: { error } });

/** /api/hosts answers a page at a time: a full host table would be megabytes a call. */
const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

/** An integer query parameter within bounds, its default when absent, or why it is refused. */
function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number | string {
  const v = q.get(name);
  if (v === null) return dflt;
  const n = Number(v);
  return /^\d{1,16}$/.test(v) && n >= min && n <= max ? n : `${name}: "${v.slice(0, 20)}" is not a whole number from ${min} to ${max}`;
}

/**
 * Read-only REST API (JSON). Hostile requests are expected (docs/security.md): no request
 * target, Host header or parameter can reach an uncaught exception.
 */
export class ApiServer {
  private server: Server | undefined;
  private readonly started = Date.now();
  private readonly routes: Record<string, Handler> = {
    '/api/health': () => ({
      status: 200,
      body: {
        status: 'ok',
        uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
        switchesConnected: this.openflow.connected.size,
        switchesDeclared: this.topology.declared?.switches.length ?? 0,
        topology: this.topology.declared?.source ?? null,
      },
    }),
    '/api/topology': () => ({
      status: 200,
      body: { name: this.topology.declared?.name ?? null, switches: this.topology.switchList(), links: this.topology.linkList() },
    }),
    '/api/hosts': (q) => {
      const limit = intParam(q, 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
      const offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      if (typeof limit === 'string') return bad(limit);
      if (typeof offset === 'string') return bad(offset);
      const page = this.topology.hostPage(offset, limit);
      return { status: 200, body: page.hosts, headers: { 'x-total-count': String(page.total) } };
    },
    '/api/paths': (q) => {
      const src = q.get('from');
      const dst = q.get('to');
      if (!src || !dst) return bad('give the two switches: /api/paths?from=acc1&to=acc3');
      const known = new Set(this.topology.switchList().map((s) => s.name));
      for (const s of [src, dst]) if (!known.has(s)) return { status: 404, body: { error: `no switch named "${s}"` } };
      return { status: 200, body: { from: src, to: dst, paths: this.topology.paths(src, dst), nextHops: this.topology.nextHops(src, dst) } };
    },
    '/api/switches': () => ({
      status: 200,
      body: [...this.openflow.connected.values()].map((c) => ({
        dpid: c.dpid,
        name: this.topology.nameOf(c.dpid),
        peer: c.peer,
        tables: c.features?.nTables,
        ports: c.ports.map((p) => ({ portNo: p.portNo, name: p.name, hwAddr: p.hwAddr, linkDown: (p.state & 1) === 1 })),
      })),
    }),
  };

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly log: Logger,
  ) {}

  listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => this.handle(req, res));
    server.maxConnections = 256;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const addr = server.address() as AddressInfo;
        this.log.info('REST API listening', { address: `http://${addr.address}:${addr.port}/api/health` });
        resolve(addr);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Never throws: a request that breaks a handler gets a 500, and the process goes on. */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    let reply: Reply;
    try {
      reply = this.route(req);
    } catch (e) {
      this.log.error('REST API handler failed', { url: req.url, error: (e as Error).stack });
      reply = { status: 500, body: { error: 'internal error; see the controller log' } };
    }
    // No CORS header, ever: a web page the operator has open cannot read what the API says.
    res.writeHead(reply.status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...reply.headers });
    res.end(JSON.stringify(reply.body) + '\n');
  }

  private route(req: IncomingMessage): Reply {
    const host = hostCheck(req.headers.host);
    if (host !== undefined) return { status: 403, body: { error: host } };
    // The request target is split by hand: `new URL()` throws on targets such as `//[` or `//a:b`.
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    if (!SAFE_PATH.test(pathname)) return bad('the request target must be a path such as /api/topology');
    const route = this.routes[pathname];
    if (route === undefined) return { status: 404, body: { error: `no resource ${pathname}`, resources: Object.keys(this.routes) } };
    if (req.method !== 'GET') return { status: 405, body: { error: `${req.method} not allowed on ${pathname}: the API is read-only` }, headers: { allow: 'GET' } };
    return route(new URLSearchParams(q === -1 ? '' : target.slice(q + 1)));
  }
}

const SAFE_PATH = /^\/[A-Za-z0-9/_.-]{0,200}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * DNS rebinding: a page of evil.example whose name later resolves to 127.0.0.1 sends
 * `Host: evil.example`. Only an IP literal or localhost (what a name cannot be) is served.
 * Returns why a Host header is refused, or undefined when it is fine.
 */
function hostCheck(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return 'a Host header is required';
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.replace(/:\d*$/, '');
  if (name === 'localhost' || IPV4.test(name) || /^\[[0-9a-fA-F:.]+\]$/.test(name)) return undefined;
  return `Host "${header.slice(0, 100)}" refused: address the API by IP or localhost (DNS rebinding protection)`;
}
