import { createHash, timingSafeEqual } from 'node:crypto';
import { readBoundedFile } from '../files/bounded-read.js';

/** Methods that change nothing: open without a token on loopback (reads), everything else needs one. */
const READS = new Set(['GET', 'HEAD']);

/**
 * The API's bearer token (RFC 6750). Compared in constant time over SHA-256 digests (equal
 * lengths, so even the token's length does not leak); never logged, never echoed back.
 */
export class BearerToken {
  private constructor(
    /** The token's SHA-256: all a checker needs (the HTTP front's thread gets this, never the token). */
    readonly digest: Uint8Array,
  ) {}

  static of(token: string): BearerToken {
    return new BearerToken(sha256(token));
  }

  static ofDigest(digest: Uint8Array): BearerToken {
    return new BearerToken(digest);
  }

  /** Why this request is refused (401), or undefined when it may go on. `readsOpen`: reads need no token. */
  refusal(method: string, authorization: string | undefined, readsOpen: boolean): string | undefined {
    if (readsOpen && READS.has(method)) return undefined;
    if (authorization === undefined) return `${method} needs "Authorization: Bearer <token>" (the controller's --api-token-file)`;
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(authorization);
    if (!m) return 'the Authorization header is not "Bearer <token>"';
    return timingSafeEqual(sha256(m[1]!), this.digest) ? undefined : 'the bearer token is not the right one';
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A token read from a file: trimmed, at least 16 printable characters (a short token is a guessable one). */
export function parseToken(file: string, text: string): string {
  const token = text.trim();
  if (!/^[\x21-\x7e]{16,4096}$/.test(token)) throw new Error(`${file}: the API token must be one line of 16 to 4096 printable characters, without spaces`);
  return token;
}

/** A token file is one line: more than this is not a token file (and `/dev/zero` is not read into memory). */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Reads and checks a token file (a regular file of at most 64 KiB). */
export const readTokenFile = (file: string): string => parseToken(file, readBoundedFile(file, MAX_TOKEN_FILE_BYTES).toString('utf8'));
