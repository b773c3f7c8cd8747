/**
 * A controller app in twenty lines: load a topology, start the controller, print every
 * topology event. Run it, then start Mininet against it:
 *
 *   node dist/examples/topology-watch.js topologies/dc-small.yaml
 *   /usr/bin/python3 mininet/dc.py --topology topologies/dc-small.yaml --controller 127.0.0.1:6653
 */
import { OpenFlowServer, TopologyService, createLogger, loadTopology, type TopologyEvent } from '../src/index.js';

const file = process.argv[2] ?? 'topologies/dc-small.yaml';
const log = createLogger('warn', 'pretty');
const openflow = new OpenFlowServer(log);
const topology = new TopologyService(openflow, loadTopology(file), log);

const describe = (e: TopologyEvent): string => {
  switch (e.kind) {
    case 'switch-up': return `switch ${e.switch.name} (${e.switch.tier}) is up`;
    case 'switch-down': return `switch ${e.switch.name} is down: ${e.reason}`;
    case 'link-up': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} is up`;
    case 'link-down': return `link ${e.link.a.switch}:${e.link.a.port} <-> ${e.link.b.switch}:${e.link.b.port} is down: ${e.reason}`;
    case 'host-added': return `host ${e.host.name ?? e.host.mac} at ${e.host.switch}:${e.host.port}`;
    case 'host-moved': return `host ${e.host.name ?? e.host.mac} moved from ${e.from.switch}:${e.from.port} to ${e.host.switch}:${e.host.port}`;
    case 'host-updated': return `host ${e.host.name ?? e.host.mac} now has address ${e.host.ip ?? '(none)'}`;
    case 'host-removed': return `host ${e.host.name ?? e.host.mac} removed: ${e.reason}`;
    case 'host-refused': return `refused ${e.mac} at ${e.at.switch}:${e.at.port}: ${e.reason}`;
    case 'host-seen-elsewhere': return `host ${e.mac} (${e.ip}) seen at ${e.at.switch}:${e.at.port}, away from ${e.from.switch}:${e.from.port}`;
    case 'discrepancy': return `${e.discrepancy}: ${e.detail}`;
  }
};

topology.events$.subscribe((e) => console.log(new Date().toISOString().slice(11, 23), describe(e)));
topology.start();
await openflow.listen('127.0.0.1', Number(process.env.OF_PORT ?? 6653));
console.log(`watching ${file}; Ctrl-C stops`);
process.once('SIGINT', () => {
  topology.stop();
  void openflow.close().then(() => process.exit(0));
});
