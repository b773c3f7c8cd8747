import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Framer, OfpDecodeError, decodeMessage, encodeMessage } from '../../src/openflow/index.js';
import { message } from './arbitraries.js';
import { rng } from '../../lab/fuzz.js';
import { CORPUS } from '../../lab/openflow-corpus.js';

/**
 * Untrusted bytes from a switch may only ever produce a message or an OfpDecodeError.
 * 100,000+ inputs: random bytes with a plausible header, and mutations of valid messages.
 */

function decodeOrTypedError(buf: Buffer): 'ok' | 'error' {
  try {
    decodeMessage(buf);
    return 'ok';
  } catch (e) {
    if (e instanceof OfpDecodeError) return 'error';
    throw new Error(`non-typed error ${(e as Error).name}: ${(e as Error).message} for ${buf.toString('hex')}`);
  }
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

test('60,000 random inputs with an OpenFlow 1.3 header decode or fail typed', () => {
  const next = rng(SEED);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 60_000; i++) {
    const len = 8 + (next() % 200);
    const buf = Buffer.alloc(len);
    for (let j = 0; j < len; j++) buf[j] = next() & 0xff;
    buf[0] = i % 16 === 0 ? next() & 0xff : 4; // mostly version 1.3, sometimes not
    buf[1] = next() % 32; // mostly known types, a few unknown
    buf.writeUInt16BE(len, 2);
    outcomes[decodeOrTypedError(buf)]++;
  }
  // Both outcomes must occur, or the generator is not exercising the decoder.
  assert.ok(outcomes.ok > 100 && outcomes.error > 10_000, JSON.stringify(outcomes));
});

test('50,000 mutations of valid messages decode or fail typed', () => {
  const next = rng(SEED + 1);
  const seeds = [...CORPUS.map((e) => encodeMessage(e.message)), ...fc.sample(message, { numRuns: 300, seed: SEED }).map((m) => encodeMessage(m))];
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 50_000; i++) {
    const base = seeds[next() % seeds.length]!;
    const buf = Buffer.from(base);
    const flips = 1 + (next() % 4);
    for (let f = 0; f < flips; f++) {
      const at = 8 + (next() % Math.max(1, buf.length - 8));
      if (at < buf.length) buf[at] = next() & 0xff;
    }
    // Sometimes truncate or extend, keeping the header length consistent with the buffer.
    const mode = next() % 4;
    const sized = mode === 0 ? buf.subarray(0, Math.max(8, buf.length - 1 - (next() % 16))) : mode === 1 ? Buffer.concat([buf, Buffer.alloc(next() % 24)]) : buf;
    const out = Buffer.from(sized);
    out.writeUInt16BE(out.length, 2);
    outcomes[decodeOrTypedError(out)]++;
  }
  assert.ok(outcomes.ok > 1000 && outcomes.error > 1000, JSON.stringify(outcomes));
});

test('the framer turns arbitrary streams into frames or a typed error, never more than 64 KiB buffered', () => {
  const next = rng(SEED + 2);
  for (let i = 0; i < 2_000; i++) {
    const framer = new Framer();
    try {
      for (let c = 0; c < 20; c++) {
        const chunk = Buffer.alloc(next() % 300);
        for (let j = 0; j < chunk.length; j++) chunk[j] = next() & 0xff;
        for (const frame of framer.push(chunk)) decodeOrTypedError(frame);
        assert.ok(framer.buffered < 65_536);
      }
    } catch (e) {
      assert.ok(e instanceof OfpDecodeError, `framer threw ${(e as Error).name}`);
    }
  }
});
