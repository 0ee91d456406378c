import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type MessagePrintResult, printMessages } from '../../services/message.js';
import { bodyErrorNotes, outputFlags, writeMessages } from '../../ui/message-output.js';

export default class MessagePrint extends BaseCommand<typeof MessagePrint> {
  static override summary = 'Print messages of one queue from an offset, without consuming them.';
  static override description = `Reads --count messages of queue --queue of --topic from --offset (no group offset moves; the read uses the broker's TOOLS_CONSUMER group, as mqadmin does). When the topic is on several brokers, --broker says which. Exits 6 when there is no message at --offset.`;
  static override examples = [
    '<%= config.bin %> message print --topic orders --queue 3 --offset 17',
    '<%= config.bin %> message print -t orders -q 0 --offset 0 --count 100 --output ndjson',
  ];
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'Topic.', required: true }),
    queue: Flags.integer({ char: 'q', summary: 'Queue id.', required: true, min: 0 }),
    offset: Flags.integer({ summary: 'Queue offset of the first message.', required: true, min: 0 }),
    count: Flags.integer({ char: 'c', summary: 'How many messages.', default: 1, min: 1 }),
    broker: Flags.string({ char: 'b', summary: 'Broker name or address (when the topic is on several).' }),
    ...outputFlags('text'),
  };

  async run(): Promise<MessagePrintResult> {
    const f = this.flags;
    const { result, found } = await printMessages(await this.admin(), {
      topic: f.topic,
      queueId: f.queue,
      offset: f.offset,
      count: f.count,
      broker: f.broker,
      maxBodyBytes: f['max-body'],
    });
    if (!this.jsonEnabled()) await writeMessages(found, f);
    for (const note of bodyErrorNotes(found)) this.note(note);
    if (result.messages.length < f.count) {
      this.note(
        `${result.messages.length} of ${f.count} message(s): the queue ends at offset ${result.maxOffset}`,
      );
    }
    return result;
  }
}
