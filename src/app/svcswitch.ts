import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { merge } from 'rxjs';
import type { ApiServer } from '../api/api-server.js';
import type { FlowManager } from '../controller/flow-manager.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { ArpProxy } from '../fabric/arp-proxy.js';
import type { RouterAdverts } from '../fabric/router-adverts.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { Logger } from '../log/logger.js';
import type { TraceService } from '../fabric/trace-service.js';
import type { Planning } from './planning.js';
import type { MigrationService } from '../migration/migration-service.js';
import type { StateDatabase } from '../state/database.js';
import type { ClusterMember, ClusterSync } from './cluster-member.js';

/**
 * The controller application: the OpenFlow server, the topology, the flow manager that
 * keeps every switch's tables as the planners want them, the ARP proxy and the REST API.
 * Built by the container (container.ts); started and stopped as one.
 */
export class Svcswitch {
  private lastChange = Date.now();

  constructor(
    readonly openflow: OpenFlowServer,
    readonly topology: TopologyService,
    readonly planning: Planning,
    readonly flows: FlowManager,
    readonly arp: ArpProxy,
    readonly routerAdverts: RouterAdverts,
    readonly migration: MigrationService,
    readonly tracer: TraceService,
    readonly api: ApiServer,
    private readonly log: Logger,
    /** The SQLite state file (undefined: in memory only). */
    readonly state: StateDatabase | undefined,
    /** With --cluster: the election and the switch roles (undefined: alone, every switch mastered here without roles). */
    readonly cluster: ClusterMember | undefined = undefined,
    private readonly sync: ClusterSync | undefined = undefined,
  ) {}

  /** Starts everything; resolves with the OpenFlow (and API) addresses. */
  async start(of: { host: string; port: number }, api?: { host: string; port: number }): Promise<{ openflow: AddressInfo; api: AddressInfo | undefined }> {
    merge(this.topology.events$, this.topology.graph$).subscribe(() => (this.lastChange = Date.now()));
    // A member joins before any switch connects: its channels are then registered at once.
    if (this.cluster) {
      await this.cluster.mastership.start();
      this.topology.useLldpKey(await this.cluster.mastership.sharedSecret('lldp-key'));
      this.cluster.roles.start();
      // The hosts the members learned, before any switch is planned: a switch taken over keeps the entries of hosts this member never heard.
      await this.cluster.hosts.start();
      // The migration state read before the service starts; it follows until the election makes it the leader.
      await this.cluster.store.start();
      this.migration.follow();
    }
    this.topology.start();
    this.planning.start();
    this.flows.start();
    this.arp.start();
    this.routerAdverts.start();
    this.migration.start();
    this.sync?.confirmer.start();
    this.sync?.leadership.start();
    try {
      const ofAddr = await this.openflow.listen(of.host, of.port);
      const apiAddr = api ? await this.api.listen(api.host, api.port) : undefined;
      // The other members forward what the migration leader answers to the API it advertises.
      if (this.cluster && apiAddr) await this.cluster.mastership.advertise(advertisedUrl(apiAddr));
      const declared = this.topology.declared;
      if (declared) this.log.info('topology loaded', { file: declared.source, switches: declared.switches.length, links: declared.links.length, hosts: declared.hosts.length });
      this.log.info('state', this.state ? { file: this.state.name, bindings: this.migration.bindings.all().length } : { file: 'none (in memory only)' });
      return { openflow: ofAddr, api: apiAddr };
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /**
   * Resolves once the topology has been quiet for a while (longer than the planners'
   * coalescing) and every switch holds the tables planned from it, confirmed by barrier.
   */
  async settled(quietMs = 100, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const quietFor = Date.now() - this.lastChange;
      if (quietFor >= quietMs && this.flows.inSync) return;
      if (Date.now() > deadline) throw new Error(`not settled after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, Math.max(10, quietMs - quietFor)));
      await this.flows.settled();
    }
  }

  async stop(): Promise<void> {
    this.sync?.leadership.stop();
    this.sync?.confirmer.stop();
    this.migration.stop();
    this.arp.stop();
    this.routerAdverts.stop();
    this.flows.stop();
    this.planning.stop();
    this.topology.stop();
    this.cluster?.roles.stop();
    await this.cluster?.store.stop();
    await this.cluster?.mastership.stop();
    await this.api.close();
    await this.openflow.close();
    this.state?.close();
  }
}

/**
 * The URL the other members reach this API at: its address, or for a wildcard listen
 * (0.0.0.0, ::) this machine's first non-loopback IPv4 address (in a cluster, give
 * --api-listen the address the members share).
 */
function advertisedUrl(addr: AddressInfo): string {
  const wildcard = addr.address === '0.0.0.0' || addr.address === '::';
  const own = Object.values(networkInterfaces()).flat().find((i) => i?.family === 'IPv4' && !i.internal)?.address;
  const host = wildcard ? (own ?? '127.0.0.1') : addr.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
}
