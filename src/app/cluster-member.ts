import type { ClusterConfirmer } from '../cluster/cluster-confirmer.js';
import type { EtcdBindingStore } from '../cluster/etcd-binding-store.js';
import type { EtcdHostStore } from '../cluster/etcd-host-store.js';
import type { EtcdMastership } from '../cluster/etcd-mastership.js';
import type { MigrationLeadership } from '../cluster/migration-leadership.js';
import type { SwitchRoles } from '../controller/switch-roles.js';

/** What makes a process a member of a cluster: the election on etcd, the OpenFlow roles it puts on every switch channel, and the migration state and learned hosts in etcd. */
export interface ClusterMember {
  mastership: EtcdMastership;
  roles: SwitchRoles;
  store: EtcdBindingStore;
  /** The hosts the members' switches learned. */
  hosts: EtcdHostStore;
}

/** What keeps the members' switches and the migration leadership in step (built on the flows and the migration service). */
export interface ClusterSync {
  confirmer: ClusterConfirmer;
  leadership: MigrationLeadership;
}
