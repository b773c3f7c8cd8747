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

/** A checked TCP stream from `from` to the VM's `port`. */
export interface StreamSpec {
  from: string;
  bytes: number;
  port: number;
}

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
): Promise<{ results: () => Promise<{ pings: Record<string, PingResult>; streams: Record<string, StreamResult> }> }> {
  const tag = `/tmp/svcswitch-traffic-${process.pid}-${runs++}`;
  const count = Math.round(seconds * 100);
  if (vmHost !== null) for (const s of streams) await dc.do({ op: 'cmd', host: vmHost, cmd: `/usr/bin/python3 ${STREAM} serve ${s.port} ${tag}-server-${s.from}.json > /dev/null 2>&1 &` });
  if (streams.length) await new Promise((r) => setTimeout(r, 300));
  for (const s of streams) await dc.do({ op: 'cmd', host: s.from, cmd: `/usr/bin/python3 ${STREAM} send ${vmIp} ${s.port} ${s.bytes} ${seconds} > ${tag}-client-${s.from}.json 2>&1 &` });
  for (const c of correspondents) await dc.do({ op: 'cmd', host: c, cmd: `ping -n -D -i 0.01 -c ${count} -W 1 ${vmIp} > ${tag}-ping-${c}.txt 2>&1 &` });
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
      for (const c of correspondents) {
        const out = await readWhen(c, `${tag}-ping-${c}.txt`, (t) => /packets transmitted/.test(t), `${c}'s ping to finish`, seconds * 1000 + 30_000);
        const m = /(\d+) packets transmitted, (\d+) received/.exec(out)!;
        const rtts = [...out.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
        const replies = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((x) => Math.round(Number(x[1]) * 1000));
        pings[c] = { sent: Number(m[1]), received: Number(m[2]), lost: Number(m[1]) - Number(m[2]), rttMedian: rtts.length ? rtts[Math.floor(rtts.length / 2)] : undefined, replies };
      }
      const streamResults: Record<string, StreamResult> = {};
      for (const stream of streams) {
        const json = (t: string): boolean => t.startsWith('{');
        const client = await readWhen(stream.from, `${tag}-client-${stream.from}.json`, json, `${stream.from}'s TCP stream to finish`, seconds * 1000 + 60_000);
        const c = JSON.parse(client) as { sent: number; sha256: string; error: string | null; acknowledged: boolean; peer_sha256?: string; peer_received?: number };
        const s = vmHost === null
          ? { received: c.peer_received ?? 0, sha256: c.peer_sha256 ?? '', error: null, longest_gap_ms: Number.NaN }
          : JSON.parse(await readWhen(vmHost, `${tag}-server-${stream.from}.json`, json, `the TCP server of ${stream.from}'s stream to report`, 30_000)) as { received: number; sha256: string; error: string | null; longest_gap_ms: number };
        streamResults[stream.from] = { sent: c.sent, received: s.received, intact: c.sha256 === s.sha256 && c.acknowledged, error: c.error ?? s.error ?? undefined, longestGapMs: s.longest_gap_ms };
      }
      if (vmHost !== null) await dc.do({ op: 'cmd', host: vmHost, cmd: `rm -f ${tag}-*` });
      for (const s of streams) await dc.do({ op: 'cmd', host: s.from, cmd: `rm -f ${tag}-*` });
      return { pings, streams: streamResults };
    },
  };
}
