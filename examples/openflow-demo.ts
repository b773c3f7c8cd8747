import { performance } from 'node:perf_hooks';
import { OpenFlowServer } from '../src/controller/openflow-server.js';
import { createLogger } from '../src/log/logger.js';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { MessageType, PortNo, PortReason, act, flowMod, inst, type OfpMessage } from '../src/openflow/index.js';
import { addBridge, delBridge, ofctl, requireOvs, sh } from '../lab/ovs.js';
import { next } from '../lab/wait.js';

/**
 * make demo (for now: the OpenFlow core): two hosts in their own network namespaces on a
 * real Open vSwitch bridge; svcswitch connects, installs forwarding by a barrier-confirmed
 * batch, the hosts ping, then everything is removed again.
 */

const BR = 'svdemo0';
const HOSTS = [
  { ns: 'svdemo-h1', ip: '10.0.0.1/24', mac: '02:00:00:00:00:01', port: 1 },
  { ns: 'svdemo-h2', ip: '10.0.0.2/24', mac: '02:00:00:00:00:02', port: 2 },
];

const say = (s: string): void => void process.stdout.write(`\n== ${s}\n`);

async function cleanup(): Promise<void> {
  await delBridge(BR);
  for (const h of HOSTS) {
    await sh('ip', ['netns', 'del', h.ns]).catch(() => {});
    await sh('ip', ['link', 'del', `${h.ns}-o`]).catch(() => {});
  }
}

async function main(): Promise<void> {
  await requireOvs();
  await cleanup();
  const log = createLogger('info', 'pretty');
  const server = new OpenFlowServer(log);
  const { port } = await server.listen('127.0.0.1', 0);
  try {
    say(`controller listening on 127.0.0.1:${port}; creating bridge ${BR} (userspace datapath, OpenFlow 1.3)`);
    const up = next(server.switchUp$, 'switch up');
    await addBridge(BR, { dpid: 0x1n, controllerPort: port });
    const sw = await up;
    say(`switch ${sw.dpid} connected; attaching two hosts (network namespaces)`);
    const portAdds = firstValueFrom(server.portStatus$.pipe(filter((e) => e.message.reason === PortReason.ADD), take(HOSTS.length), toArray()));
    for (const h of HOSTS) {
      await sh('ip', ['netns', 'add', h.ns]);
      await sh('ip', ['link', 'add', `${h.ns}-o`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
      await sh('ip', ['-n', h.ns, 'link', 'set', 'eth0', 'address', h.mac]);
      await sh('ip', ['-n', h.ns, 'addr', 'add', h.ip, 'dev', 'eth0']);
      await sh('ip', ['-n', h.ns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      await sh('ip', ['link', 'set', `${h.ns}-o`, 'up']);
      await sh('ovs-vsctl', ['add-port', BR, `${h.ns}-o`, '--', 'set', 'interface', `${h.ns}-o`, `ofport_request=${h.port}`]);
    }
    for (const e of await portAdds) say(`PORT_STATUS from ${e.dpid}: ${PortReason[e.message.reason]} port ${e.message.port.portNo} (${e.message.port.name})`);

    // Forwarding by destination MAC, ARP flooded: the smallest fabric that carries a ping.
    const flows: OfpMessage[] = [
      ...HOSTS.map((h) => flowMod({ priority: 100, match: { eth_dst: h.mac }, instructions: [inst.apply([act.output(h.port)])] })),
      flowMod({ priority: 50, match: { eth_type: 0x0806 }, instructions: [inst.apply([act.output(PortNo.FLOOD)])] }),
    ];
    const t = performance.now();
    await sw.connection.batch(flows);
    say(`${flows.length} flows installed and confirmed by barrier in ${(performance.now() - t).toFixed(1)} ms:`);
    process.stdout.write(await ofctl('dump-flows', BR));

    say('h1 pings h2 through the bridge');
    process.stdout.write(await sh('ip', ['netns', 'exec', HOSTS[0]!.ns, 'ping', '-c', '3', '-i', '0.2', '10.0.0.2']));

    const [desc] = await sw.connection.multipart({ mpType: 0 });
    if (desc?.mpType === 0) say(`switch says it is: ${desc.desc.mfrDesc} / ${desc.desc.swDesc}`);
    const reply = await sw.connection.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    say(`echo round trip answered with ${MessageType[reply.type]}`);
  } finally {
    await server.close();
    await cleanup();
    say('cleaned up: bridge and namespaces removed');
  }
}

main().catch(async (e: Error) => {
  process.stderr.write(`demo failed: ${e.message}\n`);
  await cleanup();
  process.exit(1);
});
