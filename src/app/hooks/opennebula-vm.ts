import { XMLParser } from 'fast-xml-parser';
import type { TapInterface } from './tap-migration.js';
import { MAX_DOMAIN_XML } from './libvirt-domain.js';

/** OpenNebula's VM states (`VirtualMachine::VmState`) and life-cycle states (`LcmState`) this hook acts on. */
export const ONE_STATE = { ACTIVE: 3 } as const;
export const ONE_LCM_STATE = { RUNNING: 3, MIGRATE: 4 } as const;

/** What the hook reads of an OpenNebula VM (`onevm show -x`, the `$TEMPLATE` of a state hook). */
export interface OneVm {
  id: number;
  name: string;
  state: number;
  lcmState: number;
  /** `TEMPLATE/NIC`: the MAC, the OVS bridge, and the tap (`TARGET`, `one-<vm id>-<nic id>`, the same on every host). */
  nics: TapInterface[];
  /** The host of each `HISTORY_RECORDS/HISTORY` in order: the last is where the VM is going or runs (during MIGRATE, the destination). */
  hosts: string[];
}

const parser = new XMLParser({ isArray: (name) => name === 'NIC' || name === 'HISTORY', processEntities: false, parseTagValue: false });

/**
 * A state hook's `$TEMPLATE`: the VM's XML, base64-encoded (as OpenNebula passes it, on the
 * command line or on stdin with `ARGUMENTS_STDIN = yes`), or the XML itself. Throws with the
 * reason when it is neither, or not a VM.
 */
export function oneVm(template: string): OneVm {
  const text = template.trim();
  if (text.length > (MAX_DOMAIN_XML * 4) / 3 + 4) throw new Error(`the VM template is ${text.length} bytes, more than ${MAX_DOMAIN_XML} once decoded`);
  let xml = text;
  if (!text.startsWith('<')) {
    if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) throw new Error('the VM template is neither XML nor base64');
    xml = Buffer.from(text, 'base64').toString('utf8');
  }
  // The same bound for the XML itself as for what base64 decodes to.
  if (xml.length > MAX_DOMAIN_XML) throw new Error(`the VM template is ${xml.length} bytes, more than ${MAX_DOMAIN_XML} once decoded`);
  const doc = parser.parse(xml) as { VM?: Record<string, unknown> };
  const vm = doc.VM;
  if (vm === undefined || typeof vm !== 'object') throw new Error('not an OpenNebula VM: no <VM> element');
  const id = number(vm.ID, 'ID');
  const nics: TapInterface[] = [];
  for (const nic of ((vm.TEMPLATE as Record<string, unknown> | undefined)?.NIC as Array<Record<string, unknown>> | undefined) ?? []) {
    const mac = text0(nic.MAC)?.toLowerCase();
    if (mac === undefined || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    nics.push({ mac, bridge: text0(nic.BRIDGE), tap: text0(nic.TARGET) ?? (text0(nic.NIC_ID) === undefined ? undefined : `one-${id}-${text0(nic.NIC_ID)}`) });
  }
  const history = ((vm.HISTORY_RECORDS as Record<string, unknown> | undefined)?.HISTORY as Array<Record<string, unknown>> | undefined) ?? [];
  return {
    id,
    name: text0(vm.NAME) ?? '',
    state: number(vm.STATE, 'STATE'),
    lcmState: number(vm.LCM_STATE, 'LCM_STATE'),
    nics,
    hosts: history.map((h) => text0(h.HOSTNAME) ?? ''),
  };
}

const text0 = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

function number(v: unknown, field: string): number {
  const n = Number(text0(v));
  if (!Number.isInteger(n) || n < 0) throw new Error(`the VM's ${field} is "${String(v).slice(0, 20)}", not a whole number`);
  return n;
}
