import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { parseTimestamp } from '../../services/consume.js';
import { getMessage, type MessageGetResult } from '../../services/message.js';
import { bodyErrorNotes, outputFlags, writeMessages } from '../../ui/message-output.js';

export default class MessageGet extends BaseCommand<typeof MessageGet> {
  static override summary = 'Show one message by its id: body, properties and ids.';
  static override description = `The id is the message id (UNIQ_KEY, what \`rmq send\` prints as msgId) or the offset message id. An offset id is read at the broker it names; a message id is looked up in the index of --topic, else of the topic its trace names, else of every topic (slower). Nothing is consumed.`;
  static override examples = [
    '<%= config.bin %> message get C0A8010A1A2B18B4AAC2376B5F1E0000 --topic orders',
    '<%= config.bin %> message get 7F000001000078BF00000000861A488F',
    '<%= config.bin %> message get "$ID" -t orders --output body > body.bin',
    '<%= config.bin %> message get "$ID" -t orders --json | jq .properties',
  ];
  static override args = {
    id: Args.string({ required: true, description: 'Message id (UNIQ_KEY) or offset message id.' }),
  };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({
      char: 't',
      summary: 'Topic of the message (needed for a message id unless traced).',
    }),
    begin: Flags.string({ summary: 'Only index entries stored from this time (ISO or epoch ms).' }),
    end: Flags.string({ summary: 'Only index entries stored until this time (ISO or epoch ms).' }),
    ...outputFlags('detail'),
  };

  async run(): Promise<MessageGetResult> {
    const f = this.flags;
    const { result, found } = await getMessage(await this.admin(), {
      id: this.args.id,
      topic: f.topic,
      beginMs: f.begin === undefined ? undefined : parseTimestamp(f.begin, '--begin'),
      endMs: f.end === undefined ? undefined : parseTimestamp(f.end, '--end'),
      maxBodyBytes: f['max-body'],
    });
    if (!this.jsonEnabled()) await writeMessages(found, f);
    for (const note of bodyErrorNotes(found)) this.note(note);
    if (result.copies > 1) {
      this.note(
        `the message is stored ${result.copies} times (the producer sent it again); showing the first`,
      );
    }
    return result;
  }
}
