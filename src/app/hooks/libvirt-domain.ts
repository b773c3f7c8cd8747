import { XMLParser } from 'fast-xml-parser';

/** A network interface of a libvirt domain, as its XML says: the VM's MAC, the OVS bridge and the tap. */
export interface DomainInterface {
  mac: string;
  /** `<source bridge=...>`: the OVS bridge the tap is plugged into. */
  bridge: string | undefined;
  /** `<target dev=...>`: the tap, once libvirt made it (absent before the domain starts). */
  tap: string | undefined;
}

/** Bounded: libvirt hands the hook a domain's XML on stdin. */
export const MAX_DOMAIN_XML = 1024 * 1024;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'interface', processEntities: false });

/**
 * The interfaces of a libvirt domain XML (`<domain><devices><interface>`), with their MAC
 * (lower case), bridge and tap. Throws with the reason when the text is not a domain.
 */
export function domainInterfaces(xml: string): { name: string; interfaces: DomainInterface[] } {
  if (xml.length > MAX_DOMAIN_XML) throw new Error(`the domain XML is ${xml.length} bytes, more than ${MAX_DOMAIN_XML}`);
  const doc = parser.parse(xml) as { domain?: { name?: unknown; devices?: { interface?: Array<Record<string, unknown>> } } };
  const domain = doc.domain;
  if (domain === undefined || typeof domain !== 'object') throw new Error('not a libvirt domain: no <domain> element');
  const name = typeof domain.name === 'string' ? domain.name : String(domain.name ?? '');
  const interfaces: DomainInterface[] = [];
  for (const i of domain.devices?.interface ?? []) {
    const mac = attr(i.mac, 'address')?.toLowerCase();
    if (mac === undefined || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    interfaces.push({ mac, bridge: attr(i.source, 'bridge'), tap: attr(i.target, 'dev') });
  }
  return { name, interfaces };
}

const attr = (element: unknown, name: string): string | undefined => {
  const v = element !== null && typeof element === 'object' ? (element as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};
