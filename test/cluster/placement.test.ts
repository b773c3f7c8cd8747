import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeSwitches, type Placeable } from '../../src/cluster/rendezvous.js';

const dpids = (n: number): string[] => Array.from({ length: n }, (_, i) => (0x30000 + i).toString(16).padStart(16, '0'));
const everywhere = (keys: string[], members: string[]): Placeable[] => keys.map((key) => ({ key, candidates: members }));
const counts = (p: Map<string, string>, members: string[]): number[] => members.map((m) => [...p.values()].filter((x) => x === m).length);

test('placement: every switch gets one live member; N switches over k members, floor(N/k) or ceil(N/k) each', () => {
  for (const [n, k] of [[8, 3], [64, 3], [100, 7], [2000, 3], [5, 5], [3, 5]] as const) {
    const members = Array.from({ length: k }, (_, i) => `m${i}`);
    const p = placeSwitches(everywhere(dpids(n), members), new Set(members));
    assert.equal(p.size, n);
    for (const c of counts(p, members)) assert.ok(c >= Math.floor(n / k) && c <= Math.ceil(n / k), `${n} over ${k}: ${counts(p, members).join('/')}`);
  }
});

test('placement: the same view gives the same answer on every member, whatever order it was learned in', () => {
  const members = ['m0', 'm1', 'm2'];
  const a = placeSwitches(everywhere(dpids(50), members), new Set(members));
  const b = placeSwitches(everywhere(dpids(50).reverse(), [...members].reverse()), new Set([...members].reverse()));
  assert.deepEqual([...a].sort(), [...b].sort());
});

test('placement: a member that leaves gives up only its switches, and some of the others move for balance; one that joins takes about its share', () => {
  const keys = dpids(300);
  const three = placeSwitches(everywhere(keys, ['m0', 'm1', 'm2']), new Set(['m0', 'm1', 'm2']));
  const two = placeSwitches(everywhere(keys, ['m0', 'm1', 'm2']), new Set(['m0', 'm1']));
  const moved = keys.filter((k) => three.get(k) !== 'm2' && three.get(k) !== two.get(k)).length;
  assert.ok(moved <= 300 * 0.15, `switches moved that m2 did not hold: ${moved}`);
  const four = placeSwitches(everywhere(keys, ['m0', 'm1', 'm2', 'm3']), new Set(['m0', 'm1', 'm2', 'm3']));
  const taken = keys.filter((k) => four.get(k) === 'm3').length;
  const reshuffled = keys.filter((k) => four.get(k) !== 'm3' && four.get(k) !== three.get(k)).length;
  assert.equal(taken, 75);
  assert.ok(reshuffled <= 300 * 0.15, `switches moved between the old members: ${reshuffled}`);
});

test('placement: only a member with a channel to the switch and alive can master it; a switch nobody live reaches has none', () => {
  const p = placeSwitches([{ key: 'a', candidates: ['m1'] }, { key: 'b', candidates: ['m0', 'm1'] }, { key: 'c', candidates: ['m9'] }], new Set(['m0', 'm1']));
  assert.equal(p.get('a'), 'm1');
  assert.ok(p.get('b') === 'm0' || p.get('b') === 'm1');
  assert.equal(p.has('c'), false, 'm9 is not alive');
  assert.deepEqual([...placeSwitches(everywhere(['a'], ['m0']), new Set())], []);
});

test('placement: when few members reach a switch, the load bound gives way: a switch whose every candidate is full goes to its best one', () => {
  const only = (key: string, candidates: string[]): Placeable => ({ key, candidates });
  const p = placeSwitches([only('a', ['m0']), only('b', ['m0']), only('c', ['m0']), only('d', ['m1'])], new Set(['m0', 'm1']));
  assert.deepEqual([...p].sort(), [['a', 'm0'], ['b', 'm0'], ['c', 'm0'], ['d', 'm1']]);
});
