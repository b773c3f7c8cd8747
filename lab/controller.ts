import type { AddressInfo } from 'node:net';
import { OpenFlowServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../src/controller/openflow-server.js';
import { memoryLogger } from './memory-logger.js';

/** An OpenFlowServer on an ephemeral loopback port, with a logger the test can read. */
export async function startController(options: Partial<ServerOptions> = {}, port = 0): Promise<{
  server: OpenFlowServer;
  port: number;
  logs: Array<Record<string, unknown>>;
}> {
  const { logger, lines } = memoryLogger();
  const server = new OpenFlowServer(logger, { ...DEFAULT_SERVER_OPTIONS, ...options });
  const addr: AddressInfo = await server.listen('127.0.0.1', port);
  return { server, port: addr.port, logs: lines };
}
