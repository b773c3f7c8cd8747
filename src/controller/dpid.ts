/** Datapath ids are shown and keyed as 16 hex digits, as OVS's `other-config:datapath-id` takes them. */
export type Dpid = string;

export function formatDpid(id: bigint): Dpid {
  return id.toString(16).padStart(16, '0');
}

export function parseDpid(text: string): bigint {
  const hex = text.replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,16}$/i.test(hex)) throw new Error(`invalid datapath id "${text}"`);
  return BigInt('0x' + hex);
}
