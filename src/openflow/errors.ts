/**
 * Typed errors of the codec. Decoding untrusted bytes from a switch must only ever
 * throw `OfpDecodeError`; encoding a message the spec forbids throws `OfpEncodeError`
 * before a single byte is written.
 */
export type DecodeErrorCode =
  | 'truncated' // the body is shorter than its structure needs
  | 'bad_length' // a length field is below its minimum, not aligned, or overruns its container
  | 'bad_version' // not OpenFlow 1.3 (0x04)
  | 'bad_type' // unknown message, multipart, action, instruction, ... type
  | 'bad_value'; // a field holds a value the spec does not allow here

export class OfpDecodeError extends Error {
  override readonly name = 'OfpDecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    /** Byte offset inside the message where decoding failed. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

export class OfpEncodeError extends Error {
  override readonly name = 'OfpEncodeError';
}

/** A match field used without the fields it depends on (OpenFlow 1.3.5 §7.2.3.6). */
export class MatchPrerequisiteError extends OfpEncodeError {
  constructor(
    readonly field: string,
    readonly requirement: string,
  ) {
    super(`match field ${field} requires ${requirement}`);
  }
}
