import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../app/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';

type Handler = (req: IncomingMessage) => { status: number; body: unknown };

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
      body: { status: 'ok', uptimeSeconds: Math.round((Date.now() - this.started) / 1000), switches: this.openflow.connected.size },
    }),
    '/api/switches': () => ({
      status: 200,
      body: [...this.openflow.connected.values()].map((c) => ({
        dpid: c.dpid,
        peer: c.peer,
        tables: c.features?.nTables,
        ports: c.ports.map((p) => ({ portNo: p.portNo, name: p.name, hwAddr: p.hwAddr, linkDown: (p.state & 1) === 1 })),
      })),
    }),
  };

  constructor(
    private readonly openflow: OpenFlowServer,
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
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes[path];
    let reply: { status: number; body: unknown };
    if (route === undefined) reply = { status: 404, body: { error: `no resource ${path}`, resources: Object.keys(this.routes) } };
    else if (req.method !== 'GET') reply = { status: 405, body: { error: `${req.method} not allowed on ${path}: the API is read-only` } };
    else reply = route(req);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body) + '\n');
  }
}
