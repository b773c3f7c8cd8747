import type { IKeyValue } from 'etcd3';
import type { Dpid } from '../controller/dpid.js';
import { placeSwitches } from './rendezvous.js';

/**
 * A duty of one member that is not a switch: the migration leadership (the one writer of the
 * migration state, etcd-binding-store.ts). Elected like a switch, among every live member: the
 * same placement, the same claim, the same quiet stand-down; its key's mod revision is the term
 * that guards the leader's writes.
 */
export const MIGRATION_DUTY = 'migrations';

/** Who holds a mastership key. */
export interface Holder {
  member: string;
  /** The mastership key's mod revision: the switch's OpenFlow generation id. */
  generation: bigint;
  /** The lease that holds the key: a member that joined again with a new lease gives up keys of its old one. */
  lease: string;
}

/**
 * What one member knows of the cluster's keys, as its watch brings them (etcd-mastership.ts
 * names the keys): the live members and the REST API each advertised, the channels each switch
 * has to members, each switch's master, and the state revision each member applied. Pure state:
 * the election decides from it, and the API, the follower's forwarding and the confirmer read it.
 */
export class ClusterMirror {
  readonly members = new Set<string>();
  /** Each live member's REST API, as it advertised it (members/<id>): where a follower forwards what the migration leader answers. */
  private readonly apis = new Map<string, string>();
  /** Per switch (and the migration duty), the members that hold a channel to it. */
  private readonly channels = new Map<Dpid, Set<string>>();
  readonly masters = new Map<Dpid, Holder>();
  /** Each member's `applied/<id>`: the state revision every switch it masters holds (cluster-confirmer.ts). */
  private readonly applied = new Map<string, bigint>();

  /** One key put or deleted, relative to the cluster's prefix (`members/m0`, `masters/<dpid>`...); other keys are not the election's. */
  apply(type: 'Put' | 'Delete', key: string, kv: IKeyValue): void {
    const [kind, id, member, ...more] = key.split('/');
    if (id === undefined || more.length > 0) return;
    if (kind === 'members' && member === undefined) {
      const api = type === 'Put' ? advertisedApi(kv.value.toString()) : undefined;
      if (type === 'Put') this.members.add(id);
      else this.members.delete(id);
      if (api === undefined) this.apis.delete(id);
      else this.apis.set(id, api);
    } else if (kind === 'channels' && member !== undefined) {
      const at = this.channels.get(id) ?? new Set<string>();
      if (type === 'Put') at.add(member);
      else at.delete(member);
      if (at.size > 0) this.channels.set(id, at);
      else this.channels.delete(id);
    } else if (kind === 'applied' && member === undefined) {
      if (type === 'Put') this.applied.set(id, BigInt(kv.value.toString() || '0'));
      else this.applied.delete(id);
    } else if (kind === 'masters' && member === undefined) {
      if (type === 'Put') this.masters.set(id, { member: kv.value.toString(), generation: BigInt(kv.mod_revision), lease: kv.lease });
      else this.masters.delete(id);
    }
  }

  /** The REST API `member` advertised, if it is alive and did. */
  apiOf(member: string): string | undefined {
    return this.apis.get(member);
  }

  /** The state revision every switch `member` masters is known to hold (0n: none said). */
  appliedBy(member: string): bigint {
    return this.applied.get(member) ?? 0n;
  }

  /** Switches with a channel to a live member other than `me` (a dead member's channel keys go with its lease). */
  reachedByOthers(me: string): Set<Dpid> {
    return new Set([...this.channels].filter(([dpid, at]) => dpid !== MIGRATION_DUTY && [...at].some((m) => m !== me && this.members.has(m))).map(([dpid]) => dpid));
  }

  /** The member each switch should have: placeSwitches over the live members with a channel to it. */
  placement(): Map<Dpid, string> {
    const switches = [...this.channels].filter(([key]) => key !== MIGRATION_DUTY).map(([key, at]) => ({ key, candidates: [...at] }));
    // The duty is placed on its own, over every live member: it does not take a switch's place in the balance.
    const duty = placeSwitches([{ key: MIGRATION_DUTY, candidates: [...(this.channels.get(MIGRATION_DUTY) ?? [])] }], this.members);
    return new Map([...placeSwitches(switches, this.members), ...duty]);
  }
}

/** The `api` URL of a members/ key's value, if it has a well-formed http one. */
function advertisedApi(value: string): string | undefined {
  try {
    const api = (JSON.parse(value) as { api?: unknown }).api;
    return typeof api === 'string' && /^http:\/\/[0-9a-f.:[\]]+:\d+$/.test(api) ? api : undefined;
  } catch {
    return undefined;
  }
}

export function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
