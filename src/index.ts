/**
 * svcswitch as a library: the OpenFlow 1.3 codec, switch connections, and the datacenter
 * topology with its typed event streams (see examples/topology-watch.ts).
 */
export * as openflow from './openflow/index.js';
export * as packet from './packet/index.js';
export { OpenFlowServer, DEFAULT_SERVER_OPTIONS, type SwitchUp, type SwitchDown, type FromSwitch, type ServerOptions } from './controller/openflow-server.js';
export { SwitchConnection, DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions, type AsyncMessage } from './controller/switch-connection.js';
export { OpenFlowErrorReply, RequestTimeoutError, ConnectionClosedError, BatchRejectedError } from './controller/errors.js';
export { formatDpid, parseDpid, type Dpid } from './controller/dpid.js';
export { createLogger, type Logger, type LogFormat } from './log/logger.js';
export { TopologyService, DEFAULT_TOPOLOGY_OPTIONS, type TopologyOptions } from './topology/topology-service.js';
export { Svcswitch } from './app/svcswitch.js';
export { buildSvcswitch } from './app/container.js';
export { DEFAULT_CONFIG, type ControllerConfig } from './app/config.js';
export { FlowManager, PlanStore } from './controller/flow-manager.js';
export { SwitchPlan } from './controller/switch-plan.js';
export { SwitchReconciler } from './controller/reconciler.js';
export { PIPELINE, PROCESSOR_PRIORITY, plannerCookie } from './controller/pipeline.js';
export { diffTables, type FlowEntry, type GroupEntry, type SwitchTables } from './controller/flow-tables.js';
export { GATEWAY_MAC } from './topology/model.js';
export { planFabric, FABRIC_COOKIE, type FabricInput } from './fabric/fabric-planner.js';
export { planDiscovery, DISCOVERY_COOKIE } from './topology/discovery-planner.js';
export type { TopologyEvent, SwitchInfo, LinkInfo, HostInfo, SwitchRef, DiscrepancyKind } from './topology/events.js';
export type { Topology, SwitchSpec, LinkSpec, SubnetSpec, ExternalSpec, HostSpec, Tier } from './topology/model.js';
export { loadTopology, parseTopology } from './topology/loader.js';
export { TopologyError, type TopologyIssue } from './topology/errors.js';
export { fatTree, threeTier } from './topology/generator.js';
export { topologySvg } from './topology/svg.js';
export { fabricGraph, linkKey, type FabricGraph, type Adjacency } from './topology/fabric-graph.js';
export { shortestPaths, nextHops, distance } from './topology/valley-free.js';
export { CoaPools } from './migration/coa-pools.js';
export { InMemoryBindingStore, type Binding, type BindingChange, type BindingState, type BindingStore, type MigrationMode } from './migration/binding-store.js';
