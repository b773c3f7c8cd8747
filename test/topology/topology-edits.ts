import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TopologyError } from '../../src/topology/errors.js';
import { parseTopology } from '../../src/topology/loader.js';
import type { Topology } from '../../src/topology/model.js';

/** dc-small edited one line at a time: how the loader's tests make each mistake once. */
export const SMALL = readFileSync('topologies/dc-small.yaml', 'utf8');

/** Replaces one line of dc-small (found by its text) and returns the resulting issues. */
export function issuesAfter(find: string, replace: string): TopologyError['issues'] {
  assert.ok(SMALL.includes(find), `dc-small has no "${find}"`);
  try {
    parseTopology(SMALL.replace(find, replace), 'dc-small-edited.yaml');
  } catch (e) {
    assert.ok(e instanceof TopologyError, String(e));
    return e.issues;
  }
  assert.fail('the edited file was accepted');
}

export function expectIssue(find: string, replace: string, field: string, why: RegExp): void {
  const issues = issuesAfter(find, replace);
  const hit = issues.find((i) => i.field === field && why.test(i.why));
  assert.ok(hit, `no issue on ${field} matching ${why}; got:\n${issues.map((i) => `${i.field}: ${i.why}`).join('\n')}`);
  assert.equal(hit.file, 'dc-small-edited.yaml');
  // The line is the one where the edit starts, and the column lies within that line.
  const editLine = SMALL.slice(0, SMALL.indexOf(find)).split('\n').length;
  const text = SMALL.replace(find, replace).split('\n')[hit.line - 1] ?? '';
  assert.equal(hit.line, editLine, `issue at line ${hit.line} ("${text}"), the edit is on line ${editLine}`);
  assert.ok(hit.column >= 1 && hit.column <= text.length, `column ${hit.column} of "${text}"`);
}

/** The same datacenter without its IPv6 side: for tests that hold IPv4's entries exactly (their IPv6 twins have tests of their own). */
export function ipv4Only(t: Topology): Topology {
  return {
    ...t,
    subnets: t.subnets.map(({ ipv6: _, ...s }) => s),
    externals: t.externals.map(({ ipv6: _, ...e }) => e),
    hosts: t.hosts.map(({ ip6: _, ...h }) => h),
  };
}
