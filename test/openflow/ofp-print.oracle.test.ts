import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeMessage, encodeMessage } from '../../src/openflow/index.js';
import { CORPUS } from '../../lab/openflow-corpus.js';

const run = promisify(execFile);

/** ofp-print's own complaints: any of these means our bytes are not what the spec says. */
const OVS_COMPLAINTS = [/\*\*\*/, /decode error/i, /bad (length|type)/i, /OFPBRC_|OFPBAC_|OFPBMC_|OFPBIC_/];

test('the corpus has at least 100 distinct messages', () => {
  const distinct = new Set(CORPUS.map((e) => encodeMessage(e.message).toString('hex')));
  assert.ok(distinct.size >= 100, `only ${distinct.size} distinct messages`);
});

for (const entry of CORPUS) {
  test(`ovs-ofctl ofp-print agrees: ${entry.name}`, async () => {
    const bytes = encodeMessage(entry.message);
    const { stdout, stderr } = await run('ovs-ofctl', ['ofp-print', bytes.toString('hex')]);
    const text = stdout + stderr;
    // Errors' own text legitimately names error codes; everything else must be clean.
    const complaints = entry.name.startsWith('error') ? OVS_COMPLAINTS.slice(0, 3) : OVS_COMPLAINTS;
    for (const c of complaints) assert.doesNotMatch(text, c, `ofp-print complained:\n${text}`);
    for (const want of entry.expect) assert.ok(text.includes(want), `expected "${want}" in:\n${text}`);
    // And our own decoder reads back what we wrote.
    assert.deepEqual(encodeMessage(decodeMessage(bytes)), bytes);
  });
}
