import { DEFAULT_CONFIG } from '../src/app/config.js';
import type { Svcswitch } from '../src/app/svcswitch.js';
import type { MigrationOptions } from '../src/migration/migration-options.js';
import { ETH_TYPE } from '../src/packet/ethernet.js';
import { loadTopology } from '../src/topology/loader.js';
import { memoryLogger } from './memory-logger.js';
import { MininetDc } from './mininet.js';
import { startSvcswitch } from './svcswitch.js';
import { until } from './wait.js';

/** svcswitch and a topology file's datacenter in Mininet, every link up and every table confirmed. */
export interface Fabric {
  app: Svcswitch;
  dc: MininetDc;
  /** The REST API's port (on 127.0.0.1). */
  apiPort: number;
  /** Packet-ins that are not LLDP probes. */
  packetIns: () => number;
}

/**
 * `vms`: declared hosts that are real VMs, booted by the test (lab/qemu-vm.ts) once the fabric
 * is up; `migrations`: 'any' lets announcements alone migrate VMs (transparent migrations).
 */
export async function startFabric(file: string, { vms = [], migrations = DEFAULT_CONFIG.migration.trigger }: { vms?: readonly string[]; migrations?: MigrationOptions['trigger'] } = {}): Promise<Fabric> {
  const topology = loadTopology(file);
  const { logger } = memoryLogger();
  const { app, port, apiPort } = await startSvcswitch(topology, logger, { lldpIntervalMs: 500, migration: { ...DEFAULT_CONFIG.migration, trigger: migrations } });
  let count = 0;
  app.openflow.packetIn$.subscribe(({ message }) => {
    if (message.data.length >= 14 && message.data.readUInt16BE(12) !== ETH_TYPE.LLDP) count++;
  });
  const dc = await MininetDc.start(file, port, { vms }).catch(async (e: Error) => {
    await app.stop();
    throw e;
  });
  await until(() => app.topology.switchList().every((s) => s.connected), 'all switches connected', 60_000);
  await until(() => app.topology.linkList().every((l) => l.up), 'all links up', 30_000);
  await app.settled();
  return { app, dc, apiPort, packetIns: () => count };
}

export async function stopFabric(f: Fabric | undefined): Promise<void> {
  if (!f) return;
  await f.dc.stop();
  await f.app.stop();
}

