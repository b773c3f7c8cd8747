/** A frame that is too short or inconsistent to be the protocol it claims. */
export class PacketParseError extends Error {
  override readonly name = 'PacketParseError';
}
