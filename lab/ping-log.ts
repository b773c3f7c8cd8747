/** Reading what `ping -D` wrote to a file: the replies, and how many were lost. */

/** The replies of ping -D, in order: sequence numbers unwrapped (they wrap at 65536: 11 minutes at 10 ms), with when each came. */
export function pingReplies(out: string): Array<{ seq: number; at: number }> {
  const found: Array<{ seq: number; at: number }> = [];
  let base = 0;
  let last = -1;
  for (const m of out.matchAll(/^\[(\d+\.\d+)\] .*icmp_seq=(\d+)/gm)) {
    const raw = Number(m[2]);
    if (raw < last - 32768) base += 65536;
    last = raw;
    found.push({ seq: base + raw, at: Number(m[1]) * 1000 });
  }
  return found;
}

/**
 * Pings lost: every request sent but not answered, except the one in flight when ping was
 * interrupted (the test stops it with SIGINT; at 10 ms a request is in flight about one time in
 * ten, and ping counts it as lost).
 */
export function lostPings(out: string, transmitted: number): number {
  const r = pingReplies(out);
  const lastSeq = r.at(-1)?.seq ?? 0;
  const tail = transmitted - lastSeq;
  return transmitted - r.length - (tail === 1 ? 1 : 0);
}
