import { Container } from 'inversify';
import { ApiServer } from '../api/api-server.js';
import { DEFAULT_SERVER_OPTIONS, OpenFlowServer } from '../controller/openflow-server.js';
import type { ControllerConfig } from './config.js';
import { createLogger } from './logger.js';
import { TOKENS } from './tokens.js';

/**
 * The one place where the controller is wired. Classes take their collaborators as
 * constructor arguments and know nothing of the container, so tests build them directly.
 */
export function buildContainer(config: ControllerConfig): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(TOKENS.config).toConstantValue(config);
  c.bind(TOKENS.logger).toDynamicValue(() => createLogger(config.logLevel, config.logFormat));
  c.bind(TOKENS.openflow).toDynamicValue(
    (ctx) => new OpenFlowServer(ctx.get(TOKENS.logger), { ...DEFAULT_SERVER_OPTIONS, echoIntervalMs: config.echoIntervalMs }),
  );
  c.bind(TOKENS.api).toDynamicValue((ctx) => new ApiServer(ctx.get(TOKENS.openflow), ctx.get(TOKENS.logger)));
  return c;
}
