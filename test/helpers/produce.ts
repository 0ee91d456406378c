/** Sends test messages through the core producer (no CLI start-up per message). */
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer, type SendResult } from '../../src/core/client/producer.js';
import type { OutgoingMessage } from '../../src/core/client/outgoing-message.js';
import { TEST_NAMESRV } from './cli.js';

export async function produce(
  messages: OutgoingMessage[],
  options: { concurrency?: number; namesrv?: string; sequential?: boolean } = {},
): Promise<SendResult[]> {
  // These sends make a test's fixtures; none of them is what a test judges. 15 s lets one wait out
  // a broker that stalls for a few seconds on a loaded box (in CI, one send of 10,000 timed out
  // at 5 s and failed the round-trip test before it began).
  const client = new MQClient({ namesrv: [options.namesrv ?? TEST_NAMESRV], timeoutMs: 15_000 });
  const producer = new Producer(client, { group: 'rmq_test_producer' });
  const results: SendResult[] = new Array(messages.length);
  try {
    if (options.sequential) {
      for (let i = 0; i < messages.length; i++) results[i] = await producer.send(messages[i]!);
    } else {
      let next = 0;
      const worker = async () => {
        while (next < messages.length) {
          const i = next++;
          results[i] = await producer.send(messages[i]!);
        }
      };
      await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
    }
  } finally {
    await client.shutdown();
  }
  return results;
}
