import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FlowManager } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { TraceService } from '../fabric/trace-service.js';
import type { MigrationService } from '../migration/migration-service.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { LeaderDirectory } from './leader-forward.js';
import type { Metrics } from './metrics.js';

/** What a route's handler may use: the services, and when the controller started. */
export interface RouteContext {
  topology: TopologyService;
  tracer: TraceService;
  migration: MigrationService;
  openflow: OpenFlowServer;
  flows: FlowManager;
  metrics: Metrics;
  startedAt: number;
  /** With --cluster: the election as this member sees it (undefined alone). */
  cluster: LeaderDirectory | undefined;
}

/** A route's handler: what it answers (JSON, or text for a text route); it may set another status on `reply`. */
export type RouteHandler = (ctx: RouteContext, req: FastifyRequest, reply: FastifyReply) => unknown;

/** A 4xx with the operator's words, for the API's error handler. */
export const clientError = (status: 400 | 404, message: string): Error => Object.assign(new Error(message), { statusCode: status });

export const uptimeSeconds = (ctx: RouteContext): number => Math.round((Date.now() - ctx.startedAt) / 1000);

/** Why the controller is not all there, in words: declared switches away, tables not confirmed. Empty when it is. */
export function problems(ctx: RouteContext): string[] {
  const out: string[] = [];
  const names = (list: string[]): string => (list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')} and ${list.length - 10} more`);
  const declared = ctx.topology.switchList().filter((s) => s.tier !== undefined);
  const away = declared.filter((s) => !s.connected).map((s) => s.name);
  if (away.length > 0) out.push(`${away.length} of ${declared.length} declared switches not connected: ${names(away)}`);
  const behind = ctx.flows.outOfSync().map((dpid) => ctx.topology.nameOf(dpid));
  if (behind.length > 0) out.push(`tables not yet confirmed on ${names(behind)}`);
  return out;
}
