/**
 * Which queue a lite topic's messages go to. A 5.5 broker keeps a lite topic on one broker of
 * its parent topic: LiteShardingImpl picks the write queue
 *   writeQueues[Hashing.consistentHash(liteTopic.hashCode(), writeQueues.size())]
 * (Guava's jump consistent hash over Java's String.hashCode, the queues listed as a client lists
 * them: brokers by name, queue ids ascending) and the proxy sends there. A lite message sent to
 * another broker is stored, but that broker does not take subscriptions for it, so rmq sends
 * where the broker expects it.
 */
import { javaHashCode } from '../protocol/message.js';

const MULTIPLIER = 2862933555777941757n;
const MASK64 = (1n << 64n) - 1n;
const INT_MAX = 2 ** 31 - 1;

/**
 * Guava Hashing.consistentHash(long input, int buckets): Lamping and Veach's jump hash, with
 * Guava's linear congruential generator. `input` is a Java long (here a sign-extended int).
 */
export function consistentHash(input: number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets <= 0)
    throw new RangeError(`buckets must be positive: ${buckets}`);
  let state = BigInt.asUintN(64, BigInt(input));
  let candidate = 0;
  for (;;) {
    state = (MULTIPLIER * state + 1n) & MASK64;
    const nextDouble = (Number(state >> 33n) + 1) / 2 ** 31;
    // Java's (int) cast of a double: truncation, saturated at Integer.MAX_VALUE.
    const next = Math.min(Math.floor((candidate + 1) / nextDouble), INT_MAX);
    if (next >= 0 && next < buckets) candidate = next;
    else return candidate;
  }
}

/** Index of the write queue that holds lite topic `liteTopic`, among `queueCount` write queues. */
export function liteQueueIndex(liteTopic: string, queueCount: number): number {
  return consistentHash(javaHashCode(liteTopic), queueCount);
}
