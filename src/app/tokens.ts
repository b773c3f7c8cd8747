import type { ServiceIdentifier } from 'inversify';
import type { ControllerConfig } from './config.js';
import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import type { ApiServer } from '../api/api-server.js';
import type { Metrics } from '../api/metrics.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { Topology } from '../topology/model.js';
import type { FlowManager, PlanStore } from '../controller/flow-manager.js';
import type { Planning } from './planning.js';
import type { ArpProxy } from '../fabric/arp-proxy.js';
import type { RouterAdverts } from '../fabric/router-adverts.js';
import type { TraceService } from '../fabric/trace-service.js';
import type { Svcswitch } from './svcswitch.js';
import type { MigrationService } from '../migration/migration-service.js';
import type { BindingStore } from '../migration/binding-store.js';
import type { StateDatabase } from '../state/database.js';
import type { ClusterConfirmer } from '../cluster/cluster-confirmer.js';
import type { ClusterMember, ClusterSync } from './cluster-member.js';

/** Service identifiers of the one container (see container.ts). */
export const TOKENS = {
  config: Symbol('ControllerConfig') as ServiceIdentifier<ControllerConfig>,
  logger: Symbol('Logger') as ServiceIdentifier<Logger>,
  topologyFile: Symbol('Topology') as ServiceIdentifier<Topology | undefined>,
  openflow: Symbol('OpenFlowServer') as ServiceIdentifier<OpenFlowServer>,
  topology: Symbol('TopologyService') as ServiceIdentifier<TopologyService>,
  api: Symbol('ApiServer') as ServiceIdentifier<ApiServer>,
  metrics: Symbol('Metrics') as ServiceIdentifier<Metrics>,
  tracer: Symbol('TraceService') as ServiceIdentifier<TraceService>,
  plans: Symbol('PlanStore') as ServiceIdentifier<PlanStore>,
  planning: Symbol('Planning') as ServiceIdentifier<Planning>,
  flows: Symbol('FlowManager') as ServiceIdentifier<FlowManager>,
  arp: Symbol('ArpProxy') as ServiceIdentifier<ArpProxy>,
  routerAdverts: Symbol('RouterAdverts') as ServiceIdentifier<RouterAdverts>,
  migration: Symbol('MigrationService') as ServiceIdentifier<MigrationService>,
  /** The SQLite state file, or undefined when state is kept in memory only. */
  state: Symbol('StateDatabase') as ServiceIdentifier<StateDatabase | undefined>,
  bindings: Symbol('BindingStore') as ServiceIdentifier<BindingStore>,
  /** With --cluster: the election and the roles it puts on every switch channel; undefined alone. */
  cluster: Symbol('Cluster') as ServiceIdentifier<ClusterMember | undefined>,
  /** With --cluster: how the migration learns that the other members' switches hold its writes; undefined alone (by barrier). */
  clusterConfirmer: Symbol('ClusterConfirmer') as ServiceIdentifier<ClusterConfirmer | undefined>,
  /** With --cluster: the members' switches confirmed to each other, and the migration leadership put in force; undefined alone. */
  clusterSync: Symbol('ClusterSync') as ServiceIdentifier<ClusterSync | undefined>,
  app: Symbol('Svcswitch') as ServiceIdentifier<Svcswitch>,
} as const;
