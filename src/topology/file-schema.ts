import { type TObject, Type } from '@sinclair/typebox';
import { MAX_TABLE_BUDGET, MIN_TABLE_BUDGET, TIERS } from './model.js';

/**
 * The topology file as a JSON Schema (TypeBox): every field at every level, with the form of
 * its value, and no other field anywhere. Published as `topologies/topology.schema.json` for
 * editors (each topology file names it in a `yaml-language-server` line), and the list of
 * fields the loader accepts at each level is read from here. What a schema cannot say (a
 * switch named by a link exists, ports are not used twice, addresses fall in their subnet,
 * a dpid written as a number with leading zeros, which YAML reads as decimal) the loader
 * checks, with the file's line and column.
 */

const Name = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$', description: 'a letter, then up to 31 letters, digits, - and _' });
const Description = Type.String({ description: 'free text, for people' });
const Ipv4 = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$', description: 'an IPv4 address' });
const Prefix = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', description: 'an IPv4 prefix, /8 or longer, such as 10.0.1.0/24' });
const Ipv6 = Type.String({ pattern: '^[0-9A-Fa-f:]{2,39}$', description: 'an IPv6 address, such as 2001:db8:0:1::1' });
const Prefix6 = Type.String({ pattern: '^[0-9A-Fa-f:]{2,39}/\\d{1,3}$', description: 'an IPv6 prefix, /16 to /124, such as 2001:db8:0:1::/64' });
const Port = Type.Integer({ minimum: 1, maximum: 0xffffff00, description: 'an OpenFlow port number' });
const Mac = Type.String({ pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$', description: 'a MAC address in lower case, quoted: "02:00:0a:00:01:0a"' });
const Dpid = Type.Union([Type.String({ pattern: '^(0[xX])?[0-9A-Fa-f:]{1,23}$' }), Type.Integer({ minimum: 1 })], {
  description: 'a datapath id: up to 16 hex digits as a string ("0000000000030001" or "0x30001"), or a positive integer (a number with leading zeros is read as decimal: quote it)',
});

const entry = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description: string) => Type.Object(properties, { additionalProperties: false, description });

const SwitchEntry = entry(
  {
    name: Name, tier: Type.Union(TIERS.map((t) => Type.Literal(t))), dpid: Dpid,
    table_budget: Type.Optional(Type.Integer({ minimum: MIN_TABLE_BUDGET, maximum: MAX_TABLE_BUDGET, description: 'the most flow entries and groups svcswitch may plan on this switch (a top-of-rack switch holds a few thousand): a migration that would pass it takes a cheaper mode or is refused' })),
    description: Type.Optional(Description),
  },
  'a switch: its name, its tier, and the datapath id it connects with',
);

const SubnetEntry = entry(
  {
    name: Name, prefix: Prefix, gateway: Ipv4, switch: Name,
    coa_pool: Type.Optional(Type.String({ pattern: '^\\S+\\s*-\\s*\\S+$', description: 'the Care-of Addresses it lends migrated VMs: a range such as 10.0.1.200-10.0.1.250' })),
    prefix6: Type.Optional(Prefix6),
    gateway6: Type.Optional(Ipv6),
    coa_pool6: Type.Optional(Type.String({ pattern: '^\\S+\\s*-\\s*\\S+$', description: 'the IPv6 Care-of Addresses it lends: a range such as 2001:db8:0:1::200-2001:db8:0:1::250' })),
    description: Type.Optional(Description),
  },
  'a subnet, served by one access switch',
);

const HostEntry = entry(
  {
    name: Name, mac: Mac, ip: Ipv4, ip6: Type.Optional(Ipv6),
    switch: Type.Optional(Name), port: Type.Optional(Port),
    hypervisor: Type.Optional(Type.String({ description: 'the hypervisor it runs on (in place of switch and port)' })),
    description: Type.Optional(Description),
  },
  'a declared host (a VM): its MAC and address for good, and where it is plugged in',
);

const ExternalEntry = entry(
  { name: Name, prefix: Prefix, gateway: Ipv4, switch: Name, prefix6: Type.Optional(Prefix6), gateway6: Type.Optional(Ipv6), hosts: Type.Optional(Type.Array(HostEntry)), description: Type.Optional(Description) },
  'a network outside the datacenter, reached through an edge switch',
);

const HypervisorEntry = entry(
  { name: Name, switch: Name, port: Port, description: Type.Optional(Description) },
  'a hypervisor whose own bridge holds several VMs behind one access port',
);

const LinkEnd = Type.String({ pattern: '^[^:\\s]+:\\d+$', description: 'switch:port' });

const TopologyFile = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'the datacenter\'s name' })),
    description: Type.Optional(Description),
    switches: Type.Array(SwitchEntry),
    // An array of two, not a Tuple: TypeBox writes tuples in draft-07's form, which 2020-12 refuses.
    links: Type.Array(Type.Array(LinkEnd, { minItems: 2, maxItems: 2 }), { description: 'switch-to-switch links: [switch:port, switch:port]' }),
    subnets: Type.Array(SubnetEntry),
    hypervisors: Type.Optional(Type.Array(HypervisorEntry)),
    hosts: Type.Array(HostEntry),
    external: Type.Optional(Type.Array(ExternalEntry)),
  },
  { additionalProperties: false, title: 'svcswitch topology file', description: 'A datacenter for svcswitch: switches by tier, links, subnets, hosts (docs/topology.md).' },
);

/** The published document: the schema with its dialect. */
export const topologySchemaDocument = (): Record<string, unknown> => ({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...TopologyFile });

const fieldsOf = (o: TObject): readonly string[] => Object.keys(o.properties);

/** The fields each level of the file may have: what the loader refuses anything else by. */
export const FIELDS = {
  top: fieldsOf(TopologyFile),
  switch: fieldsOf(SwitchEntry),
  subnet: fieldsOf(SubnetEntry),
  external: fieldsOf(ExternalEntry),
  hypervisor: fieldsOf(HypervisorEntry),
  host: fieldsOf(HostEntry),
} as const;
