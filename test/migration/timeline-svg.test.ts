import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timelineSvg } from '../../lab/timeline-svg.js';

test('the migration timeline picture: each step\'s events and gaps placed on one axis; a moment without a value (no reply came) is left out, never stretches the axis', () => {
  const svg = timelineSvg([
    { name: 'vm1 acc1 -> acc3', events: [{ label: 'requested', ms: -800 }, { label: 'first reply after the resume', ms: Infinity }, { label: 'VM seen', ms: 3 }], gaps: [{ who: 'client', from: 10, to: 60 }] },
    { name: 'vm1 acc3 -> acc4', events: [{ label: 'switched over', ms: 15 }], gaps: [] },
  ]);
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  assert.doesNotMatch(svg, /Infinity|NaN/);
  assert.match(svg, /requested \(-800 ms\)/);
  assert.match(svg, /client: no reply 10\.\.60 ms/);
  assert.doesNotMatch(svg, /first reply after the resume/);
  const ticks = [...svg.matchAll(/font-size="9">(-?\d+)</g)].map((m) => Number(m[1]));
  assert.deepEqual([ticks[0], ticks.at(-1)], [-800, 100], 'the axis from the first event to 100 ms, a tick every 100 ms');
});
