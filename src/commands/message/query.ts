import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { parseTimestamp } from '../../services/consume.js';
import { type MessageQueryResult, queryMessages } from '../../services/message.js';
import { bodyErrorNotes, outputFlags, writeMessages } from '../../ui/message-output.js';

export default class MessageQuery extends BaseCommand<typeof MessageQuery> {
  static override summary = 'Find messages of a topic by key (the KEYS the producer set).';
  static override description = `Asks the index of every broker of the topic. A broker returns the most recently stored matches, at most 64 (--limit): narrow with --begin/--end to reach older ones. Printed oldest first; nothing is consumed. No match is not an error (exit 0, nothing printed).`;
  static override examples = [
    '<%= config.bin %> message query --topic orders --key order-42',
    '<%= config.bin %> message query -t orders -k order-42 --begin 2026-11-22T00:00:00Z --output ndjson',
  ];
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'Topic to search.', required: true }),
    key: Flags.string({ char: 'k', summary: 'Message key.', required: true }),
    begin: Flags.string({ summary: 'Only messages stored from this time (ISO or epoch ms).' }),
    end: Flags.string({ summary: 'Only messages stored until this time (ISO or epoch ms).' }),
    limit: Flags.integer({
      summary: 'At most this many messages, the most recent (a broker returns at most 64).',
      default: 64,
      min: 1,
    }),
    ...outputFlags('text'),
  };

  async run(): Promise<MessageQueryResult> {
    const f = this.flags;
    const { result, found } = await queryMessages(await this.admin(), {
      topic: f.topic,
      key: f.key,
      beginMs: f.begin === undefined ? undefined : parseTimestamp(f.begin, '--begin'),
      endMs: f.end === undefined ? undefined : parseTimestamp(f.end, '--end'),
      limit: f.limit,
      maxBodyBytes: f['max-body'],
    });
    if (!this.jsonEnabled()) await writeMessages(found, f);
    for (const note of bodyErrorNotes(found)) this.note(note);
    for (const b of result.failedBrokers) this.note(`broker ${b.brokerName} could not be asked: ${b.error}`);
    if (result.count === 0) this.note(`no message of ${f.topic} has key ${f.key}`);
    return result;
  }
}
