import type { EtcdMastership } from '../cluster/etcd-mastership.js';
import type { SwitchRoles } from '../controller/switch-roles.js';

/** What makes a process a member of a cluster: the election on etcd, and the OpenFlow roles it puts on every switch channel. */
export interface ClusterMember {
  mastership: EtcdMastership;
  roles: SwitchRoles;
}
