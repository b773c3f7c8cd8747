import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads a file named by a flag or a config, refusing what is not a regular file and what is
 * larger than `maxBytes`. A path is chosen by whoever starts the controller, but it may be
 * `/dev/zero` (endless), a FIFO (would block the start for ever), or a log file given by
 * mistake: each is refused with a reason, never read into memory. O_NONBLOCK makes opening a
 * FIFO return at once instead of waiting for a writer.
 */
export function readBoundedFile(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file (${kindOf(st)})`);
    if (st.size > maxBytes) throw new Error(`${file} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    // The size can grow while it is read: read at most one byte past the limit and check again.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw new Error(`${file} is more than the ${maxBytes} bytes allowed`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const kindOf = (st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string => {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
};
