import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import {
  encodeFrame,
  LanguageCode,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder } from '../../src/core/remoting/frame-decoder.js';

/** mulberry32: a small seeded PRNG, so a failing split can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function command(i: number, bodyLen: number, type: SerializeType): RemotingCommand {
  const body = Buffer.alloc(bodyLen);
  for (let j = 0; j < bodyLen; j++) body[j] = (i * 31 + j) & 0xff;
  return {
    code: 100 + i,
    language: LanguageCode.JAVA,
    version: 479,
    opaque: i + 1,
    flag: i % 2,
    remark: i % 3 === 0 ? `remark ${i}` : undefined,
    extFields: { topic: `T${i}`, n: String(i) },
    body: bodyLen > 0 ? body : undefined,
    serializeType: type,
  };
}

const SIZES = [0, 1, 7, 300, 0, 4096, 65_537, 3];
const commands = SIZES.map((n, i) =>
  command(i, n, i % 2 === 0 ? SerializeType.JSON : SerializeType.ROCKETMQ),
);
const frames = commands.map(encodeFrame);
const stream = Buffer.concat(frames);

/** The fields a decoded frame must get back, in a shape deepEqual can compare. */
const view = (c: RemotingCommand) => ({
  code: c.code,
  opaque: c.opaque,
  flag: c.flag,
  remark: c.remark,
  extFields: c.extFields,
  body: c.body ? Buffer.from(c.body).toString('hex') : undefined,
  serializeType: c.serializeType,
});
const expected = commands.map(view);

function feed(decoder: FrameDecoder, chunks: Buffer[]): RemotingCommand[] {
  const out: RemotingCommand[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  return out;
}

/** Bytes of `stream` not yet returned as frames after `fed` bytes were pushed. */
function expectedPending(fed: number): number {
  let consumed = 0;
  for (const f of frames) {
    if (consumed + f.length > fed) break;
    consumed += f.length;
  }
  return fed - consumed;
}

describe('FrameDecoder', () => {
  it('decodes a stream fed one byte at a time, with exact pendingBytes after every byte', () => {
    const d = new FrameDecoder();
    const out: RemotingCommand[] = [];
    for (let i = 0; i < stream.length; i++) {
      out.push(...d.push(stream.subarray(i, i + 1)));
      if (i % 97 === 0 || i < 64) assert.equal(d.pendingBytes, expectedPending(i + 1), `after byte ${i}`);
    }
    assert.deepEqual(out.map(view), expected);
    assert.equal(d.pendingBytes, 0);
  });

  it('assembles a 256 KiB frame from one-byte chunks in linear time', () => {
    // Not a benchmark: a per-chunk array shift made this quadratic (about a minute for this frame);
    // linear work takes well under a second on any machine that runs the suite.
    const big = encodeFrame(command(9, 256 * 1024, SerializeType.JSON));
    const d = new FrameDecoder();
    const started = performance.now();
    let out: RemotingCommand[] = [];
    for (let i = 0; i < big.length; i++) out = out.concat(d.push(big.subarray(i, i + 1)));
    const elapsed = performance.now() - started;
    assert.equal(out.length, 1);
    assert.equal(out[0]!.body?.length, 256 * 1024);
    assert.equal(out[0]!.body?.[1000], (9 * 31 + 1000) & 0xff);
    assert.ok(elapsed < 3000, `took ${Math.round(elapsed)} ms`);
  });

  it('decodes the same stream under 500 seeded random chunkings', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rnd = prng(seed);
      const chunks: Buffer[] = [];
      let pos = 0;
      while (pos < stream.length) {
        // Mostly small cuts, sometimes large ones, so both regimes are covered.
        const max = rnd() < 0.8 ? 16 : 20_000;
        const n = 1 + Math.floor(rnd() * max);
        chunks.push(stream.subarray(pos, pos + n));
        pos += n;
      }
      const d = new FrameDecoder();
      const out = feed(d, chunks);
      assert.deepEqual(out.map(view), expected, `seed ${seed}`);
      assert.equal(d.pendingBytes, 0, `seed ${seed}`);
    }
  });

  it('returns every frame of a chunk that holds many', () => {
    const d = new FrameDecoder();
    const out = d.push(stream);
    assert.equal(out.length, commands.length);
    assert.deepEqual(out.map(view), expected);
  });

  it('keeps the rest of a chunk that completes one frame and starts the next', () => {
    const a = frames[2]!;
    const b = frames[3]!;
    const d = new FrameDecoder();
    const first = d.push(Buffer.concat([a, b.subarray(0, 10)]));
    assert.deepEqual(first.map(view), [expected[2]]);
    assert.equal(d.pendingBytes, 10);
    const second = d.push(b.subarray(10));
    assert.deepEqual(second.map(view), [expected[3]]);
    assert.equal(d.pendingBytes, 0);
  });

  it('handles a frame split inside its length prefix', () => {
    for (const cut of [1, 2, 3]) {
      const f = frames[3]!;
      const d = new FrameDecoder();
      assert.deepEqual(d.push(f.subarray(0, cut)), []);
      assert.equal(d.pendingBytes, cut);
      const out = d.push(f.subarray(cut));
      assert.deepEqual(out.map(view), [expected[3]]);
      assert.equal(d.pendingBytes, 0);
    }
  });

  it('handles a prefix split over three chunks followed by a frame body in pieces', () => {
    const f = frames[5]!;
    const d = new FrameDecoder();
    const out = feed(d, [
      f.subarray(0, 1),
      f.subarray(1, 2),
      f.subarray(2, 5),
      f.subarray(5, 1000),
      f.subarray(1000),
    ]);
    assert.deepEqual(out.map(view), [expected[5]]);
  });

  it('ignores empty chunks', () => {
    const d = new FrameDecoder();
    assert.deepEqual(d.push(Buffer.alloc(0)), []);
    assert.equal(d.pendingBytes, 0);
  });

  it('accepts a frame of exactly the limit and rejects one byte more with ProtocolError', () => {
    const limit = 1024;
    const base = encodeFrame(command(1, 0, SerializeType.JSON));
    const pad = limit - (base.length - 4);
    const exact = encodeFrame(command(1, pad, SerializeType.JSON));
    assert.equal(exact.readInt32BE(0), limit);
    assert.equal(new FrameDecoder(limit).push(exact).length, 1);
    const over = encodeFrame(command(1, pad + 1, SerializeType.JSON));
    assert.throws(() => new FrameDecoder(limit).push(over), ProtocolError);
  });

  it('rejects an oversized length from its prefix alone, before buffering the frame', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(DEFAULT_MAX_FRAME_LENGTH + 1, 0);
    assert.throws(
      () => new FrameDecoder().push(prefix),
      (err: unknown) => {
        assert.ok(err instanceof ProtocolError);
        assert.match(err.message, /exceeds the limit/);
        return true;
      },
    );
    prefix.writeInt32BE(DEFAULT_MAX_FRAME_LENGTH, 0);
    assert.deepEqual(new FrameDecoder().push(prefix), [], 'the default limit itself is allowed');
  });

  for (const len of [-1, -0x7fffffff, 0, 1, 3]) {
    it(`rejects length ${len} with ProtocolError`, () => {
      const prefix = Buffer.alloc(8);
      prefix.writeInt32BE(len, 0);
      assert.throws(() => new FrameDecoder().push(prefix), ProtocolError);
    });
  }

  it('rejects a negative length even when it arrives split', () => {
    const d = new FrameDecoder();
    assert.deepEqual(d.push(Buffer.from([0xff, 0xff])), []);
    assert.throws(() => d.push(Buffer.from([0xff, 0xf0])), ProtocolError);
  });

  it('accepts the minimal length 4 only if the header is valid', () => {
    // length 4 = header word only, headerLen 0: an empty JSON header is not a command.
    assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0])), ProtocolError);
  });

  it('counts pendingBytes across one and a half frames', () => {
    const a = frames[1]!;
    const b = frames[3]!;
    const d = new FrameDecoder();
    const half = Math.floor(b.length / 2);
    const out = d.push(Buffer.concat([a, b.subarray(0, half)]));
    assert.equal(out.length, 1);
    assert.equal(d.pendingBytes, half);
    d.push(b.subarray(half, half + 1));
    assert.equal(d.pendingBytes, half + 1);
    assert.equal(d.push(b.subarray(half + 1)).length, 1);
    assert.equal(d.pendingBytes, 0);
  });
});
