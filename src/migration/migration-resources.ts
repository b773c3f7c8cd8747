import { PIPELINE } from '../controller/pipeline.js';
import type { SubnetSpec } from '../topology/model.js';
import type { Admission } from './admission.js';
import { BicastGroups } from './bicast-groups.js';
import { COA_REST_MS, CoaPools } from './coa-pools.js';
import { MigrationError } from './migration-error.js';

/** What an admitted migration took: its bicast group pair and, abroad, a CoA; `giveBack` returns what was newly taken. */
export interface Taken {
  coa: string | undefined;
  group: number;
  /** The VM already held its group pair (a migration of its own still draining). */
  hadGroup: boolean;
  giveBack(): void;
}

/**
 * What migrations hold and give back: each subnet's Care-of Addresses (resting before reuse)
 * and the bicast group ids of the migrations in flight. Either is taken whole or not at all.
 */
export class MigrationResources {
  readonly pools: CoaPools;
  readonly groups = new BicastGroups(PIPELINE.migration.groups);

  constructor(subnets: readonly SubnetSpec[], coaRestMs = COA_REST_MS) {
    this.pools = new CoaPools(subnets, coaRestMs);
  }

  /** The bicast pair and, in a subnet not its home, a CoA for `a`; a MigrationError (409) with nothing kept when either is exhausted. */
  take(a: Admission): Taken {
    const hadGroup = this.groups.has(a.hoa);
    const group = this.groups.take(a.hoa);
    if (group === undefined) throw new MigrationError(409, 'every bicast group id is in use (too many migrations in flight)');
    let coa: string | undefined;
    const giveBack = (): void => {
      if (!hadGroup) this.groups.drop(a.hoa);
      if (coa !== undefined && !a.coaWasHeld) this.pools.release(a.target.name, coa, a.hoa, false);
    };
    if (a.target.name !== a.home.name) {
      const got = this.pools.allocate(a.target.name, a.hoa);
      if ('error' in got) {
        giveBack();
        throw new MigrationError(409, got.error);
      }
      coa = got.coa;
    }
    return { coa, group, hadGroup, giveBack };
  }
}
