/**
 * Hostile stored messages for tests: a zlib "bomb" (a small compressed body that inflates to a
 * huge one) and a way to store a body as it is with the compressed sysFlag set, as a producer
 * that compressed it itself would.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer, type SendResult } from '../../src/core/client/producer.js';
import type { OutgoingMessage } from '../../src/core/client/outgoing-message.js';
import { SysFlag } from '../../src/core/protocol/message.js';
import { TEST_NAMESRV } from './cli.js';

/**
 * A zlib stream that inflates to `mib` MiB of zeros, about 1 KiB per MiB (1 GiB: ~1 MiB).
 * Built without deflating `mib` MiB: one MiB of zeros deflated up to a full flush (which resets
 * the window, so every such MiB compresses to the same bytes) is repeated, then a final empty
 * block and the Adler-32 of the zeros follow, so inflate checks the stream as valid.
 */
export function zlibBomb(mib: number): Buffer {
  const oneMiB = deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0), { level: 9 });
  // Adler-32 of n zero bytes: a stays 1, b = n mod 65521.
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((mib * 2 ** 20) % 65521) * 65536 + 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(mib).fill(oneMiB), last, adler]);
}

/** Sends `body` as stored bytes with the ZLIB-compressed sysFlag (the producer does not touch it). */
export async function sendCompressed(
  msg: OutgoingMessage,
  options: { namesrv?: string } = {},
): Promise<SendResult> {
  const client = new MQClient({ namesrv: [options.namesrv ?? TEST_NAMESRV], timeoutMs: 10_000 });
  const producer = new Producer(client, {
    group: 'rmq_test_producer',
    compressThreshold: Number.POSITIVE_INFINITY,
  });
  try {
    return await producer.send(msg, { sysFlag: SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZLIB });
  } finally {
    await client.shutdown();
  }
}
