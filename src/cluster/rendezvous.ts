import { createHash } from 'node:crypto';

/** One switch to place: its key (the datapath id) and the members that hold a channel to it. */
export interface Placeable {
  key: string;
  candidates: readonly string[];
}

/**
 * Which member masters which switch: rendezvous (highest random weight) hashing with bounded
 * load. Each switch ranks the members by a hash of the pair; in key order, each goes to its
 * highest-ranked candidate that has fewer than floor(N/k) switches yet, then the rest to
 * theirs below ceil(N/k). Every member computes the same answer from the same view, with no
 * coordination; each gets floor(N/k) or ceil(N/k) (plain rendezvous hashing can leave a
 * member of three with 1 switch of 8 and another with 4); a member that joins or leaves
 * moves few switches besides its own share. Pure.
 */
export function placeSwitches(switches: readonly Placeable[], members: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const load = new Map<string, number>();
  const ranked = [...switches]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((s) => ({ key: s.key, ranked: s.candidates.filter((m) => members.has(m)).sort((a, b) => compareWeights(weight(s.key, b), weight(s.key, a)) || (a < b ? -1 : 1)) }))
    .filter((s) => s.ranked.length > 0);
  // First every member up to floor(N/k), then the remainder up to ceil(N/k): each ends with one or the other.
  const place = (cap: number, rest: typeof ranked): typeof ranked =>
    rest.filter((s) => {
      const chosen = s.ranked.find((m) => (load.get(m) ?? 0) < cap);
      if (chosen === undefined) return true;
      out.set(s.key, chosen);
      load.set(chosen, (load.get(chosen) ?? 0) + 1);
      return false;
    });
  const left = place(Math.ceil(ranked.length / members.size), place(Math.floor(ranked.length / members.size), ranked));
  // Only when candidates are few (channels missing) can a switch find every candidate full: its best one takes it.
  for (const s of left) {
    out.set(s.key, s.ranked[0]!);
    load.set(s.ranked[0]!, (load.get(s.ranked[0]!) ?? 0) + 1);
  }
  return out;
}

const compareWeights = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const weight = (key: string, member: string): bigint => createHash('sha256').update(key).update('\0').update(member).digest().readBigUInt64BE(0);
