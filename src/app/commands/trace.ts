import { TRACE_PROTOS, offlineNetwork, traceRequest, type TraceProto, type TraceRequest } from '../../fabric/trace-service.js';
import { TopologyError } from '../../topology/errors.js';
import { loadTopology } from '../../topology/loader.js';
import type { TraceResult } from '../../topology/trace.js';
import type { Register } from './program.js';
import { type ClientFlags, clientFrom, withClientOptions } from './rest-client.js';
import { UsageError, isUsageError } from './usage-error.js';

const isTraceProto = (p: string): p is TraceProto => (TRACE_PROTOS as readonly string[]).includes(p);

/** A hop list a person reads. */
function formatTrace(req: TraceRequest, r: TraceResult): string {
  const lines = [`${req.proto ?? 'icmp'} ${req.from} -> ${req.to}`];
  for (const h of r.hops) {
    const p = h.packet;
    const alt = h.alternatives && h.alternatives.length > 1 ? `  (ECMP: ${h.alternatives.join(', ')})` : '';
    const l3 = p.arp ? `arp ${p.arp.op === 1 ? `who-has ${p.arp.tpa} tell ${p.arp.spa}` : `${p.arp.spa} is-at ${p.arp.sha} (to ${p.arp.tpa})`}`
      : p.nd ? `${p.ipv6?.src ?? '-'} > ${p.ipv6?.dst ?? '-'}  ${p.nd.type === 135 ? `neighbor solicitation for ${p.nd.target}` : `neighbor advertisement ${p.nd.target} is-at ${p.nd.tll ?? '-'}`}`
      : p.ipv6 ? `${p.ipv6.src} > ${p.ipv6.dst}  hlim ${p.ttl ?? '-'}`
      : `${p.ipv4_src ?? '-'} > ${p.ipv4_dst ?? '-'}  ttl ${p.ttl ?? '-'}`;
    lines.push(`  ${h.switch.padEnd(8)} in ${String(h.inPort).padStart(2)}  out ${String(h.outPort).padStart(2)}  ${p.eth_src ?? '-'} > ${p.eth_dst ?? '-'}  ${l3}${alt}`);
  }
  lines.push(`${r.result} at ${r.at.switch}:${r.at.port}${r.reason ? ` (${r.reason})` : ''}`);
  return lines.join('\n') + '\n';
}

interface TraceFlags extends ClientFlags {
  from?: string;
  to?: string;
  proto?: string;
  dport?: string;
  topology?: string;
  json?: boolean;
}

/** Exit code: 0 delivered, 1 dropped, to the controller or in a loop, 2 usage. */
async function traceCommand(values: TraceFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    if (!values.from || !values.to) throw new UsageError('give --from NAME|IP and --to IP');
    const api = values.api ?? (values.topology === undefined ? process.env.SVCSWITCH_API : undefined);
    if ((api === undefined) === (values.topology === undefined)) throw new UsageError('give one of --api URL and --topology FILE');
    const proto = values.proto ?? 'icmp';
    if (!isTraceProto(proto)) throw new UsageError(`--proto: "${proto}" is not ${TRACE_PROTOS.join(', ')}`);
    const dport = values.dport === undefined ? undefined : Number(values.dport);
    if (dport !== undefined && (!Number.isInteger(dport) || dport < 0 || dport > 65535)) throw new UsageError(`--dport: "${values.dport}" is not a port number`);
    const req: TraceRequest = { from: values.from, to: values.to, proto, ...(dport !== undefined ? { dport } : {}) };
    let result: TraceResult;
    if (values.topology !== undefined) {
      const topology = loadTopology(values.topology);
      const { net, hosts } = offlineNetwork(topology);
      const r = traceRequest(net, hosts, topology, req);
      if (typeof r === 'string') throw new UsageError(r);
      result = r;
    } else {
      const q = new URLSearchParams({ from: req.from, to: req.to, proto, ...(dport !== undefined ? { dport: String(dport) } : {}) });
      result = await clientFrom({ api, tokenFile: values.tokenFile })<TraceResult>('GET', `/api/trace?${q.toString()}`);
    }
    out(values.json ? JSON.stringify(result) + '\n' : formatTrace(req, result));
    return result.result === 'delivered' ? 0 : 1;
  } catch (e) {
    if (e instanceof TopologyError) return err(e.message + '\n'), 2;
    // A usage error, or the controller's refusal or absence (which names the URL and why): not a trace's answer.
    if (isUsageError(e) || e instanceof Error) return err(`svcswitch trace: ${(e as Error).message}\n`), 2;
    throw e;
  }
}

export const registerTrace: Register = (program, io, exit) => {
  withClientOptions(
    program
      .command('trace')
      .description('the path one packet takes through the planned tables, hop by hop (exit 0 delivered; 1 dropped, to the controller or in a loop; 2 usage)')
      .option('--from <name|ip>', 'the sending host')
      .option('--to <ip>', 'the destination address (IPv4 or IPv6)')
      .option('--proto <proto>', 'icmp | tcp | udp (default icmp) | arp (the host\'s ARP request for an IPv4 --to: who answers it) | nd (its neighbour solicitation for an IPv6 --to)')
      .option('--dport <n>', 'the destination port (tcp, udp)')
      .option('--topology <file>', "offline: the tables planned from the file's declared hosts, every link up")
      .option('--json', '{"hops":[{"switch","inPort","outPort","packet":{...}}],"result","at":{"switch","port"}}'),
  )
    .addHelpText('after', '\nWith --api (or $SVCSWITCH_API when neither --api nor --topology is given): a running controller\'s plans and the links up now (GET /api/trace).\n')
    .action(async (values: TraceFlags) => exit(await traceCommand(values, io.out, io.err)));
};
