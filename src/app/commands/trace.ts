import { parseArgs } from 'node:util';
import { offlineNetwork, traceRequest, type TraceRequest } from '../../fabric/trace-service.js';
import { TopologyError } from '../../topology/errors.js';
import { loadTopology } from '../../topology/loader.js';
import type { TraceResult } from '../../topology/trace.js';
import { CLIENT_OPTIONS, clientFrom } from './rest-client.js';
import { UsageError, isUsageError } from './usage-error.js';

export const TRACE_HELP = `svcswitch trace: the path one packet takes through the planned tables, hop by hop

  svcswitch trace --from NAME|IP --to IP [--proto icmp|tcp|udp] [--dport N] (--api URL [--token-file F] | --topology FILE) [--json]

  --api URL         ask a running controller (GET URL/api/trace): its plans and the links up now
                    (without --api and --topology: $SVCSWITCH_API, when set)
  --token-file F    the API's bearer token (default $SVCSWITCH_TOKEN_FILE)
  --topology FILE   offline: the tables planned from the file's declared hosts, every link up
  --json            {"hops":[{"switch","inPort","outPort","packet":{...}}],"result","at":{"switch","port"}}
  Exit code: 0 delivered, 1 dropped, to the controller or in a loop, 2 usage.
`;

/** A hop list a person reads. */
function formatTrace(req: TraceRequest, r: TraceResult): string {
  const lines = [`${req.proto ?? 'icmp'} ${req.from} -> ${req.to}`];
  for (const h of r.hops) {
    const p = h.packet;
    const alt = h.alternatives && h.alternatives.length > 1 ? `  (ECMP: ${h.alternatives.join(', ')})` : '';
    lines.push(`  ${h.switch.padEnd(8)} in ${String(h.inPort).padStart(2)}  out ${String(h.outPort).padStart(2)}  ${p.eth_src ?? '-'} > ${p.eth_dst ?? '-'}  ${p.ipv4_src ?? '-'} > ${p.ipv4_dst ?? '-'}  ttl ${p.ttl ?? '-'}${alt}`);
  }
  lines.push(`${r.result} at ${r.at.switch}:${r.at.port}${r.reason ? ` (${r.reason})` : ''}`);
  return lines.join('\n') + '\n';
}

/** Returns the exit code (see TRACE_HELP). */
export async function traceCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { from: { type: 'string' }, to: { type: 'string' }, proto: { type: 'string' }, dport: { type: 'string' }, ...CLIENT_OPTIONS, topology: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    if (!values.from || !values.to) throw new UsageError('give --from NAME|IP and --to IP');
    const api = values.api ?? (values.topology === undefined ? process.env.SVCSWITCH_API : undefined);
    if ((api === undefined) === (values.topology === undefined)) throw new UsageError('give one of --api URL and --topology FILE');
    const proto = values.proto ?? 'icmp';
    if (proto !== 'icmp' && proto !== 'tcp' && proto !== 'udp') throw new UsageError(`--proto: "${proto}" is not icmp, tcp or udp`);
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
      result = await clientFrom({ api, 'token-file': values['token-file'] })<TraceResult>('GET', `/api/trace?${q.toString()}`);
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
