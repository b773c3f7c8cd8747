import { Subject, concat, defer, from, type Observable } from 'rxjs';

/**
 * The paper's three ways of keeping a migrated VM reachable: `mobile-ip` (the Home switch
 * redirects to the CoA, the Foreign switch restores the HoA: triangle routing), `optimized`
 * (NAT at the Edge switch for traffic entering the datacenter), `first-hop` (NAT at every
 * correspondent's first switch: the shortest path for everyone).
 */
export type MigrationMode = 'mobile-ip' | 'optimized' | 'first-hop';

/** `prepared`: the foreign side and the bicast are installed, the VM not yet seen there. `active`: switched over. */
export type BindingState = 'prepared' | 'active';

/** Where a migrated VM is now, and how it is reached. */
export interface Binding {
  /** Home Address: the VM's address, which its operating system keeps. */
  hoa: string;
  mac: string;
  homeSubnet: string;
  /** Where the VM was in its Home Network (where it returns when its binding is deleted). */
  home: { switch: string; port: number };
  /** The foreign subnet it is in now. */
  subnet: string;
  /** Care-of Address, from the foreign subnet's pool. */
  coa: string;
  switch: string;
  port: number;
  mode: MigrationMode;
  state: BindingState;
  createdAt: number;
  updatedAt: number;
}

export type BindingChange = { kind: 'set'; binding: Binding } | { kind: 'deleted'; binding: Binding };

/**
 * Where bindings are kept: in memory here; a durable (SQLite) and a clustered (etcd)
 * implementation only add a class. A late subscriber to `changes$` first gets every
 * binding as `set`, then the changes.
 */
export interface BindingStore {
  readonly changes$: Observable<BindingChange>;
  get(hoa: string): Binding | undefined;
  all(): Binding[];
  /** Creates or replaces the binding of `binding.hoa`. */
  put(binding: Binding): void;
  /** Deletes the binding of `hoa`; false if there was none. */
  delete(hoa: string): boolean;
}

export class InMemoryBindingStore implements BindingStore {
  private readonly bindings = new Map<string, Binding>();
  private readonly subject = new Subject<BindingChange>();
  readonly changes$: Observable<BindingChange> = defer(() =>
    concat(from(this.all().map((binding): BindingChange => ({ kind: 'set', binding }))), this.subject),
  );

  get(hoa: string): Binding | undefined {
    const b = this.bindings.get(hoa);
    return b && { ...b };
  }

  all(): Binding[] {
    return [...this.bindings.values()].map((b) => ({ ...b }));
  }

  put(binding: Binding): void {
    const copy = { ...binding };
    this.bindings.set(copy.hoa, copy);
    this.subject.next({ kind: 'set', binding: { ...copy } });
  }

  delete(hoa: string): boolean {
    const b = this.bindings.get(hoa);
    if (!b) return false;
    this.bindings.delete(hoa);
    this.subject.next({ kind: 'deleted', binding: { ...b } });
    return true;
  }
}
