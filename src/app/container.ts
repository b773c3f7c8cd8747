import { Container } from 'inversify';
import { filter, map } from 'rxjs';
import { ApiServer } from '../api/api-server.js';
import { Metrics } from '../api/metrics.js';
import { BearerToken } from '../api/bearer-token.js';
import { FlowManager, PlanStore } from '../controller/flow-manager.js';
import { DEFAULT_SERVER_OPTIONS, OpenFlowServer, openflowConnectionLimit } from '../controller/openflow-server.js';
import { ArpProxy } from '../fabric/arp-proxy.js';
import { RouterAdverts } from '../fabric/router-adverts.js';
import { TraceService } from '../fabric/trace-service.js';
import type { Topology } from '../topology/model.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService } from '../topology/topology-service.js';
import type { ControllerConfig } from './config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Planning, defaultParts } from './planning.js';
import { Svcswitch } from './svcswitch.js';
import { InMemoryBindingStore } from '../migration/binding-store.js';
import { openStateDatabase } from '../state/database.js';
import { DurableHostStore } from '../state/durable-host-store.js';
import { SqliteBindingStore } from '../state/sqlite-binding-store.js';
import { HostPolicy } from '../topology/host-policy.js';
import { HostTracker } from '../topology/host-tracker.js';
import { holdDown } from './hold-down.js';
import { MigrationService } from '../migration/migration-service.js';
import { TOKENS } from './tokens.js';
import { ClusterConfirmer } from '../cluster/cluster-confirmer.js';
import { EtcdBindingStore, type WriterTerm } from '../cluster/etcd-binding-store.js';
import { EtcdHostStore } from '../cluster/etcd-host-store.js';
import { DEFAULT_CLUSTER_OPTIONS, EtcdMastership, etcdClient } from '../cluster/etcd-mastership.js';
import { MigrationLeadership } from '../cluster/migration-leadership.js';
import { SwitchRoles } from '../controller/switch-roles.js';

/**
 * The one place where the controller is wired. Classes take their collaborators as
 * constructor arguments and know nothing of the container, so tests can also build them
 * directly. The topology file is loaded (and validated) before, by the caller; a logger may
 * be given (tests keep the lines).
 */
function buildContainer(config: ControllerConfig, topology: Topology | undefined, logger?: Logger): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  const declared = new Set(topology?.switches.map((s) => s.dpid));
  c.bind(TOKENS.config).toConstantValue(config);
  c.bind(TOKENS.topologyFile).toConstantValue(topology);
  c.bind(TOKENS.logger).toDynamicValue(() => logger ?? createLogger(config.logLevel, config.logFormat));
  c.bind(TOKENS.openflow).toDynamicValue(
    (ctx) => new OpenFlowServer(ctx.get(TOKENS.logger), { ...DEFAULT_SERVER_OPTIONS, echoIntervalMs: config.echoIntervalMs, requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_SERVER_OPTIONS.requestTimeoutMs, handshakeTimeoutMs: config.handshakeTimeoutMs ?? DEFAULT_SERVER_OPTIONS.handshakeTimeoutMs, maxConnections: openflowConnectionLimit(declared.size), admit: admission(config, topology, declared), tls: config.ofTls }),
  );
  // Opened before anything starts: a state file that cannot be used stops the start, naming it.
  c.bind(TOKENS.state).toDynamicValue(() => (config.stateDir === undefined ? undefined : openStateDatabase(config.stateDir)));
  const topologyOptions = {
    ...DEFAULT_TOPOLOGY_OPTIONS,
    lldpIntervalMs: config.lldpIntervalMs,
    ...(config.missingAfterMs !== undefined ? { missingAfterMs: config.missingAfterMs } : {}),
    hosts: { ...DEFAULT_TOPOLOGY_OPTIONS.hosts, ...(config.hostGraceMs !== undefined ? { graceMs: config.hostGraceMs } : {}) },
  };
  const hostTracker = (): HostTracker => new HostTracker(new HostPolicy(topology), topologyOptions.hosts);
  c.bind(TOKENS.topology).toDynamicValue((ctx) => {
    // A cluster's learned hosts are in etcd, shared by every member; alone, in the state file.
    const cluster = ctx.get(TOKENS.cluster);
    const db = cluster ? undefined : ctx.get(TOKENS.state);
    const tracker = cluster ? undefined : hostTracker();
    const durable = db && tracker && new DurableHostStore(tracker, db, ctx.get(TOKENS.logger));
    const service = new TopologyService(ctx.get(TOKENS.openflow), topology, ctx.get(TOKENS.logger), topologyOptions, cluster?.hosts ?? durable ?? tracker, cluster?.mastership.reachedElsewhere$);
    // After the file's declarations: where a host was last seen overrides where the file put it.
    durable?.restore();
    return service;
  });
  c.bind(TOKENS.bindings).toDynamicValue((ctx) => {
    // A cluster's migration state is in etcd, shared by every member; alone, in the state file.
    const cluster = ctx.get(TOKENS.cluster);
    if (cluster) return cluster.store;
    const db = ctx.get(TOKENS.state);
    return db ? new SqliteBindingStore(db) : new InMemoryBindingStore();
  });
  c.bind(TOKENS.cluster).toDynamicValue((ctx) => {
    if (config.cluster === undefined) return undefined;
    const log = ctx.get(TOKENS.logger);
    const options = { ...DEFAULT_CLUSTER_OPTIONS, ...config.cluster };
    const mastership = new EtcdMastership(options, log);
    const dpidOf = new Map(topology?.switches.map((s) => [s.name, s.dpid]));
    // Only a switch's master hears its hosts: it writes them (a switch the file does not name is called by its dpid).
    const guard = (name: string): WriterTerm | undefined => mastership.masterGuard(dpidOf.get(name) ?? name);
    const nameOf = new Map(topology?.switches.map((s) => [s.dpid, s.name]));
    const mastered$ = mastership.grants$.pipe(filter((g) => g.role === 'master'), map((g) => nameOf.get(g.dpid) ?? g.dpid));
    const hosts = new EtcdHostStore(hostTracker(), etcdClient(options), options.prefix, options.memberId, guard, log, topologyOptions.hosts.idleMs / 4, mastered$);
    return { mastership, roles: new SwitchRoles(ctx.get(TOKENS.openflow), mastership, log), store: new EtcdBindingStore(etcdClient(options), options.prefix, log), hosts };
  });
  c.bind(TOKENS.clusterConfirmer).toDynamicValue((ctx) => {
    const cluster = ctx.get(TOKENS.cluster);
    return cluster && new ClusterConfirmer(ctx.get(TOKENS.flows), cluster.store, cluster.mastership, ctx.get(TOKENS.logger));
  });
  c.bind(TOKENS.clusterSync).toDynamicValue((ctx) => {
    const cluster = ctx.get(TOKENS.cluster);
    const confirmer = ctx.get(TOKENS.clusterConfirmer);
    if (!cluster || !confirmer) return undefined;
    return { confirmer, leadership: new MigrationLeadership(cluster.mastership, cluster.store, ctx.get(TOKENS.migration), ctx.get(TOKENS.logger)) };
  });
  c.bind(TOKENS.plans).toDynamicValue(() => new PlanStore(defaultParts(topology)));
  c.bind(TOKENS.planning).toDynamicValue((ctx) => new Planning(ctx.get(TOKENS.topology), ctx.get(TOKENS.plans), undefined, ctx.get(TOKENS.logger)));
  c.bind(TOKENS.flows).toDynamicValue(
    (ctx) => new FlowManager(ctx.get(TOKENS.openflow), ctx.get(TOKENS.plans), ctx.get(TOKENS.logger), {
      keepPlan: (dpid) => declared.has(dpid),
      holdDown: holdDown(ctx.get(TOKENS.topology), [ctx.get(TOKENS.planning), { flush: () => c.get(TOKENS.migration).flush() }], ctx.get(TOKENS.logger), config.holdDown),
      auditIntervalMs: config.auditIntervalMs,
      ...(ctx.get(TOKENS.cluster) ? { channels: ctx.get(TOKENS.cluster)!.roles } : {}),
    }),
  );
  c.bind(TOKENS.arp).toDynamicValue((ctx) => new ArpProxy(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.logger)));
  c.bind(TOKENS.routerAdverts).toDynamicValue((ctx) => new RouterAdverts(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.logger)));
  c.bind(TOKENS.tracer).toDynamicValue((ctx) => new TraceService(ctx.get(TOKENS.topology), ctx.get(TOKENS.plans)));
  c.bind(TOKENS.migration).toDynamicValue(
    (ctx) => new MigrationService(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.plans), ctx.get(TOKENS.flows), ctx.get(TOKENS.bindings), ctx.get(TOKENS.logger), config.migration, ctx.get(TOKENS.clusterConfirmer)),
  );
  c.bind(TOKENS.metrics).toDynamicValue(
    (ctx) => new Metrics({ openflow: ctx.get(TOKENS.openflow), topology: ctx.get(TOKENS.topology), flows: ctx.get(TOKENS.flows), migration: ctx.get(TOKENS.migration), routerAdverts: ctx.get(TOKENS.routerAdverts), front: () => c.get(TOKENS.api).frontCounts }),
  );
  c.bind(TOKENS.api).toDynamicValue(
    (ctx) => new ApiServer(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.tracer), ctx.get(TOKENS.migration), ctx.get(TOKENS.flows), ctx.get(TOKENS.metrics), ctx.get(TOKENS.logger),
      config.apiToken === undefined ? undefined : BearerToken.of(config.apiToken), config.apiRequestTimeoutMs, ctx.get(TOKENS.cluster)?.mastership),
  );
  c.bind(TOKENS.app).toDynamicValue(
    (ctx) => new Svcswitch(ctx.get(TOKENS.openflow), ctx.get(TOKENS.topology), ctx.get(TOKENS.planning), ctx.get(TOKENS.flows), ctx.get(TOKENS.arp), ctx.get(TOKENS.routerAdverts), ctx.get(TOKENS.migration), ctx.get(TOKENS.tracer), ctx.get(TOKENS.api), ctx.get(TOKENS.logger), ctx.get(TOKENS.state), ctx.get(TOKENS.cluster), ctx.get(TOKENS.clusterSync)),
  );
  return c;
}

/** With a topology file, a switch it does not declare is refused unless the configuration accepts them. */
function admission(config: ControllerConfig, topology: Topology | undefined, declared: ReadonlySet<string>): ((dpid: string) => string | undefined) | undefined {
  if (topology === undefined || config.acceptUndeclaredSwitches) return undefined;
  return (dpid) => (declared.has(dpid) ? undefined : `${topology.source} does not declare datapath ${dpid} (--accept-undeclared-switches lets it in)`);
}

/** Builds the whole controller application from its configuration. */
export function buildSvcswitch(config: ControllerConfig, topology: Topology | undefined, logger?: Logger): Svcswitch {
  return buildContainer(config, topology, logger).get(TOKENS.app);
}
