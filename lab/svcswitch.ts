import { DEFAULT_CONFIG, type ControllerConfig } from '../src/app/config.js';
import { buildSvcswitch } from '../src/app/container.js';
import type { Logger } from '../src/log/logger.js';
import type { Svcswitch } from '../src/app/svcswitch.js';
import type { Topology } from '../src/topology/model.js';

/** The whole controller, built by the same container as `svcswitch run`, on loopback (ephemeral ports unless `config.ofPort` is given). */
export async function startSvcswitch(
  topology: Topology | undefined,
  logger: Logger,
  config: Partial<ControllerConfig> = {},
): Promise<{ app: Svcswitch; port: number; apiPort: number }> {
  // Tests connect a few of the declared switches at a time: none waits for the others (the CLI's warm restart does, see hold-down.ts).
  const app = buildSvcswitch({ ...DEFAULT_CONFIG, holdDown: { startupMs: 0, maxMs: DEFAULT_CONFIG.holdDown.maxMs }, ...config }, topology, logger);
  const { openflow, api } = await app.start({ host: '127.0.0.1', port: config.ofPort ?? 0 }, { host: '127.0.0.1', port: 0 });
  return { app, port: openflow.port, apiPort: api!.port };
}
