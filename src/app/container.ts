import { Container } from 'inversify';
import { ApiServer } from '../api/api-server.js';
import { DEFAULT_SERVER_OPTIONS, OpenFlowServer } from '../controller/openflow-server.js';
import type { Topology } from '../topology/model.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService } from '../topology/topology-service.js';
import type { ControllerConfig } from './config.js';
import { createLogger } from './logger.js';
import { TOKENS } from './tokens.js';

/**
 * The one place where the controller is wired. Classes take their collaborators as
 * constructor arguments and know nothing of the container, so tests build them directly.
 * The topology file is loaded (and validated) before, by the caller.
 */
export function buildContainer(config: ControllerConfig, topology: Topology | undefined): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(TOKENS.config).toConstantValue(config);
  c.bind(TOKENS.topologyFile).toConstantValue(topology);
  c.bind(TOKENS.logger).toDynamicValue(() => createLogger(config.logLevel, config.logFormat));
  c.bind(TOKENS.openflow).toDynamicValue(
    (ctx) => new OpenFlowServer(ctx.get(TOKENS.logger), { ...DEFAULT_SERVER_OPTIONS, echoIntervalMs: config.echoIntervalMs }),
  );
  c.bind(TOKENS.topology).toDynamicValue(
    (ctx) => new TopologyService(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topologyFile), ctx.get(TOKENS.logger), { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: config.lldpIntervalMs }),
  );
  c.bind(TOKENS.api).toDynamicValue((ctx) => new ApiServer(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.logger)));
  return c;
}
