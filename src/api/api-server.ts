import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { TopologyService } from '../topology/topology-service.js';

interface Reply {
  status: number;
  body: unknown;
}
type Handler = (query: URLSearchParams) => Reply;

const bad = (error: string): Reply => ({ status: 400, body: { error } });

/**
 * Read-only REST API (JSON). Routes are a plain table: the API is small and a framework
 * would add more than it saves.
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
    '/api/hosts': () => ({ status: 200, body: this.topology.hostList() }),
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
    const server = createServer((req, res) => this.handle(req, res));
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes[url.pathname];
    let reply: Reply;
    if (route === undefined) reply = { status: 404, body: { error: `no resource ${url.pathname}`, resources: Object.keys(this.routes) } };
    else if (req.method !== 'GET') reply = { status: 405, body: { error: `${req.method} not allowed on ${url.pathname}: the API is read-only` } };
    else reply = route(url.searchParams);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body) + '\n');
  }
}
