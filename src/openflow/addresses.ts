import { OfpEncodeError } from './errors.js';

/** Text forms used by the codec's API: "aa:bb:cc:dd:ee:ff", "10.0.0.1", "2001:db8::1". */

/** Value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Hand-written parsers: these run for every packet the controller answers.
export function macToBytes(mac: string, out: Buffer, at: number): void {
  if (mac.length === 17) {
    let ok = true;
    for (let i = 0; i < 6 && ok; i++) {
      const hi = hexDigit(mac.charCodeAt(3 * i));
      const lo = hexDigit(mac.charCodeAt(3 * i + 1));
      ok = hi >= 0 && lo >= 0 && (i === 5 || mac.charCodeAt(3 * i + 2) === 58);
      out[at + i] = (hi << 4) | lo;
    }
    if (ok) return;
  }
  throw new OfpEncodeError(`invalid MAC address "${mac}"`);
}

/** MAC strings by their 48-bit value: a controller sees the same few thousand again and again. */
const macText = new Map<number, string>();

export function macFromBytes(buf: Buffer, at: number): string {
  const key = buf.readUIntBE(at, 6);
  let s = macText.get(key);
  if (s === undefined) {
    s = '';
    for (let i = 0; i < 6; i++) {
      const b = buf[at + i]!;
      s += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
    }
    if (macText.size >= 65_536) macText.clear();
    macText.set(key, s);
  }
  return s;
}

export function ipv4ToBytes(ip: string, out: Buffer, at: number): void {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) break;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + c - 48;
      digits++;
    } else {
      break;
    }
    if (i === ip.length && part === 4) return;
  }
  throw new OfpEncodeError(`invalid IPv4 address "${ip}"`);
}

export function ipv4FromBytes(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

export function ipv6ToBytes(ip: string, out: Buffer, at: number): void {
  const bad = (): never => {
    throw new OfpEncodeError(`invalid IPv6 address "${ip}"`);
  };
  const halves = ip.split('::');
  if (halves.length > 2) bad();
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) bad();
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  all.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) bad();
    out.writeUInt16BE(parseInt(g, 16), at + 2 * i);
  });
}

/** RFC 5952 canonical text: lower case, longest run of zero groups (2 or more) as "::". */
export function ipv6FromBytes(buf: Buffer, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(at + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
