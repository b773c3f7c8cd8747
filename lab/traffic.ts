import { resolve } from 'node:path';
import type { MininetDc } from './mininet.js';
import { until } from './wait.js';

/** What one correspondent's 10 ms ping to the VM saw. */
export interface PingResult {
  sent: number;
  received: number;
  lost: number;
  /** Median RTT in ms (undefined if nothing came back). */
  rttMedian: number | undefined;
  /** When each reply came (ms since the epoch, ping -D). */
  replies: number[];
}

/** What the checked TCP stream saw at both ends. */
export interface StreamResult {
  sent: number;
  received: number;
  intact: boolean;
  error: string | undefined;
  /** The longest silence between two arrivals of data at the VM (the sender paces a chunk every few ms); NaN for a real VM (its sink does not measure it). */
  longestGapMs: number;
}

/** A checked TCP stream from `from` to the VM's `port`, at its IPv4 address or (`ipv6`) its IPv6 one. */
export interface StreamSpec {
  from: string;
  bytes: number;
  port: number;
  ipv6?: boolean;
}

/** A step's checked streams, 1.5 MB each: from each of `from` to the VM's IPv4 address, from each of `from6` to its IPv6 one, each to the port `portOf` gives. */
export function streamSpecs(from: readonly string[] = [], from6: readonly string[] = [], portOf: () => number): StreamSpec[] {
  return [...from.map((f) => ({ from: f, bytes: 1_500_000, port: portOf() })), ...from6.map((f) => ({ from: f, bytes: 1_500_000, port: portOf(), ipv6: true }))];
}

/** How a result is named: by its host, and "/IPv6" after it for the IPv6 ping or stream of a dual-stack VM. */
export const inIpv6 = (host: string): string => `${host}/IPv6`;

const STREAM = resolve('mininet/stream.py');
let runs = 0;

/**
 * Traffic to a VM while it migrates: every correspondent pings it every 10 ms for `seconds`
 * (ping -D -O: one line a reply, and a line for each reply that did not come), and each of
 * `streams`, a TCP stream from its host to the VM, carries its bytes with a SHA-256 checked at
 * both ends. Runs in the hosts' namespaces, in the background.
 */
export async function startTraffic(
  dc: MininetDc,
  vmIp: string,
  /** The Mininet host that plays the VM (it runs the stream's server), or null: a real VM whose sink answers for itself (lab/qemu-vm.ts). */
  vmHost: string | null,
  correspondents: readonly string[],
  seconds: number,
  streams: readonly StreamSpec[] = [],
  /** A dual-stack VM's IPv6 address: every correspondent pings it too, and `ipv6` streams go to it. */
  vmIp6?: string,
): Promise<{ results: () => Promise<{ pings: Record<string, PingResult>; streams: Record<string, StreamResult> }> }> {
  const tag = `/tmp/svcswitch-traffic-${process.pid}-${runs++}`;
  const count = Math.round(seconds * 100);
  const to = (s: StreamSpec): string => {
    if (!s.ipv6) return vmIp;
    if (vmIp6 === undefined) throw new Error(`an IPv6 stream from ${s.from} to a VM without an IPv6 address`);
    return vmIp6;
  };
  const key = (s: StreamSpec): string => (s.ipv6 ? inIpv6(s.from) : s.from);
  const pathOf = (name: string): string => `${tag}-${name.replace('/', '-')}`;
  if (vmHost !== null) for (const s of streams) await dc.do({ op: 'cmd', host: vmHost, cmd: `/usr/bin/python3 ${STREAM} serve ${s.port} ${pathOf(`server-${key(s)}`)}.json > /dev/null 2>&1 &` });
  if (streams.length) await new Promise((r) => setTimeout(r, 300));
  for (const s of streams) await dc.do({ op: 'cmd', host: s.from, cmd: `/usr/bin/python3 ${STREAM} send ${to(s)} ${s.port} ${s.bytes} ${seconds} > ${pathOf(`client-${key(s)}`)}.json 2>&1 &` });
  const pinged = [...correspondents.map((c) => ({ host: c, name: c, to: vmIp })), ...(vmIp6 === undefined ? [] : correspondents.map((c) => ({ host: c, name: inIpv6(c), to: vmIp6 })))];
  for (const p of pinged) await dc.do({ op: 'cmd', host: p.host, cmd: `ping -n -D -i 0.01 -c ${count} -W 1 ${p.to} > ${pathOf(`ping-${p.name}`)}.txt 2>&1 &` });
  const read = async (host: string, file: string): Promise<string> => String((await dc.do({ op: 'cmd', host, cmd: `cat ${file} 2>/dev/null` })).output).trim();
  /** Reads `file` until `done` says it is complete. */
  const readWhen = async (host: string, file: string, done: (text: string) => boolean, what: string, ms: number): Promise<string> => {
    let text = '';
    await until(async () => {
      text = await read(host, file);
      return done(text);
    }, what, ms, 300);
    return text;
  };
  return {
    results: async () => {
      const pings: Record<string, PingResult> = {};
      for (const { host, name } of pinged) {
        const out = await readWhen(host, `${pathOf(`ping-${name}`)}.txt`, (t) => /packets transmitted/.test(t), `${name}'s ping to finish`, seconds * 1000 + 30_000);
        const m = /(\d+) packets transmitted, (\d+) received/.exec(out)!;
        const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
        const replies = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((x) => Math.round(Number(x[1]) * 1000));
        pings[name] = { sent: Number(m[1]), received: Number(m[2]), lost: Number(m[1]) - Number(m[2]), rttMedian: rtts.length ? rtts[Math.floor(rtts.length / 2)] : undefined, replies };
      }
      const streamResults: Record<string, StreamResult> = {};
      for (const stream of streams) {
        const json = (t: string): boolean => t.startsWith('{');
        const client = await readWhen(stream.from, `${pathOf(`client-${key(stream)}`)}.json`, json, `${key(stream)}'s TCP stream to finish`, seconds * 1000 + 60_000);
        const c = JSON.parse(client) as { sent: number; sha256: string; error: string | null; acknowledged: boolean; peer_sha256?: string; peer_received?: number };
        const s = vmHost === null
          ? { received: c.peer_received ?? 0, sha256: c.peer_sha256 ?? '', error: null, longest_gap_ms: Number.NaN }
          : JSON.parse(await readWhen(vmHost, `${pathOf(`server-${key(stream)}`)}.json`, json, `the TCP server of ${key(stream)}'s stream to report`, 30_000)) as { received: number; sha256: string; error: string | null; longest_gap_ms: number };
        streamResults[key(stream)] = { sent: c.sent, received: s.received, intact: c.sha256 === s.sha256 && c.acknowledged, error: c.error ?? s.error ?? undefined, longestGapMs: s.longest_gap_ms };
      }
      if (vmHost !== null) await dc.do({ op: 'cmd', host: vmHost, cmd: `rm -f ${tag}-*` });
      for (const s of streams) await dc.do({ op: 'cmd', host: s.from, cmd: `rm -f ${tag}-*` });
      return { pings, streams: streamResults };
    },
  };
}
