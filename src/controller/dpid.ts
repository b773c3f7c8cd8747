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

/**
 * The datapath ids a switch's certificate names: its subject CN and each DNS or URI subject
 * alternative name, written as a dpid (`0000000000030001`, `00:00:...`, `0x30001`), with or
 * without a `dpid:` prefix. Names that are not a dpid name none.
 */
export function certificateDpids(cert: { subject?: { CN?: string | string[] } | undefined; subjectaltname?: string | undefined }): Dpid[] {
  const cn = cert.subject?.CN;
  const names = [...(Array.isArray(cn) ? cn : cn === undefined ? [] : [cn])];
  for (const alt of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*(?:DNS|URI):(.*)$/.exec(alt);
    if (m) names.push(m[1]!.trim());
  }
  const out: Dpid[] = [];
  for (const name of names) {
    try {
      out.push(formatDpid(parseDpid(name.replace(/^dpid[:=]/i, ''))));
    } catch {
      // not a dpid: names nothing
    }
  }
  return out;
}
