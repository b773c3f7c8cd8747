import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { TopologyError } from '../../src/topology/errors.js';
import { FIELDS, topologySchemaDocument } from '../../src/topology/file-schema.js';
import { loadTopology } from '../../src/topology/loader.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The topology file's JSON Schema: published as it is made, every shipped file valid under it, and it refuses what the loader refuses of a file's shape. */

const PUBLISHED = 'topologies/topology.schema.json';
const SHIPPED = ['topologies/dc-small.yaml', 'topologies/fat-tree-k4.yaml', 'bench/topologies/access-64.yaml'];
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(topologySchemaDocument());

test(`${PUBLISHED} is the schema the code makes (UPDATE_SCHEMA=1 rewrites it); every shipped topology names it and is valid under it`, () => {
  const made = `${JSON.stringify(topologySchemaDocument(), null, 2)}\n`;
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(PUBLISHED, made);
  assert.equal(readFileSync(PUBLISHED, 'utf8'), made, `${PUBLISHED} is stale: run the test with UPDATE_SCHEMA=1`);
  for (const file of SHIPPED) {
    const text = readFileSync(file, 'utf8');
    assert.match(text.split('\n')[0]!, /^# yaml-language-server: \$schema=\S*topology\.schema\.json$/, `${file} names the schema for editors`);
    assert.ok(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors)}`);
  }
});

test('an unknown field at every level is refused by the schema and by the loader, which names it; the loader accepts every field the schema has', () => {
  const base = parse(readFileSync('topologies/dc-small.yaml', 'utf8')) as Record<string, unknown> & { switches: Array<Record<string, unknown>>; subnets: Array<Record<string, unknown>>; hosts: Array<Record<string, unknown>>; external: Array<Record<string, unknown> & { hosts: Array<Record<string, unknown>> }> };
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-schema-'));
  const cases: Array<[string, (d: typeof base) => void, string]> = [
    ['top level', (d) => (d.vlan = 7), 'vlan'],
    ['a switch', (d) => (d.switches[0]!.vlan = 7), 'switches[0].vlan'],
    ['a subnet', (d) => (d.subnets[0]!.gatway = '10.0.1.1'), 'subnets[0].gatway'],
    ['a host', (d) => (d.hosts[0]!.vlan = 7), 'hosts[0].vlan'],
    ['an external network', (d) => (d.external[0]!.vlan = 7), 'external[0].vlan'],
    ['an external host', (d) => (d.external[0]!.hosts[0]!.vlan = 7), 'external[0].hosts[0].vlan'],
  ];
  for (const [where, change, field] of cases) {
    const doc = structuredClone(base);
    change(doc);
    assert.equal(validate(doc), false, `the schema refuses an unknown field in ${where}`);
    assert.ok(validate.errors?.some((e) => e.keyword === 'additionalProperties'), where);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, JSON.stringify(doc));
    assert.throws(() => loadTopology(file), (e: unknown) => e instanceof TopologyError && e.issues.some((i) => i.field === field && /unknown field/.test(i.why)), `the loader names ${field}`);
  }
  // Every field the schema allows is one the loader reads (the loader takes its lists from the schema).
  assert.deepEqual(FIELDS.top, ['name', 'description', 'switches', 'links', 'subnets', 'hypervisors', 'hosts', 'external']);
  assert.deepEqual(FIELDS.switch, ['name', 'tier', 'dpid', 'table_budget', 'description']);
  const dpidAsString = structuredClone(base);
  dpidAsString.switches[0]!.dpid = '0x10001';
  assert.ok(validate(dpidAsString), 'a 0x-hex dpid is a string the schema takes');
  dpidAsString.switches[0]!.dpid = 'core';
  assert.equal(validate(dpidAsString), false, 'a dpid that is not hex is refused');
});
