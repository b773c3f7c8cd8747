import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mastershipSvg } from '../../lab/mastership-svg.js';

test('the mastership picture: a band per switch, a coloured span per master (up to the next or the end), a red line per mark, names escaped', () => {
  const svg = mastershipSvg(
    [{ name: 'acc1', spans: [{ at: 5000, member: 1 }, { at: 1000, member: 0 }] }, { name: 'a<b', spans: [] }],
    [{ at: 4000, label: 'kill -9 m0' }],
    0, 10_000, 3,
  );
  const spans = [...svg.matchAll(/<rect x="([\d.]+)" y="32" width="([\d.]+)" height="18" fill="([^"]+)"/g)].map((m) => [Number(m[1]).toFixed(0), Number(m[2]).toFixed(0), m[3]]);
  assert.deepEqual(spans, [['179', '356', '#1f77b4'], ['535', '445', '#2ca02c']], 'm0 from 1 s to 5 s, then m1 to the end');
  assert.equal((svg.match(/stroke="#c0392b"/g) ?? []).length, 1);
  assert.match(svg, />kill -9 m0</);
  assert.match(svg, />a&lt;b</);
  assert.doesNotMatch(svg, /a<b/);
});
