import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type MessageResendResult, resendToConsumer } from '../../services/message-resend.js';
import { renderMessageResend } from '../../ui/dlq.js';

export default class MessageResend extends BaseCommand<typeof MessageResend> {
  static override summary =
    'Deliver one stored message straight to a consumer of a group, as the dashboard does.';
  static override description = `The broker that stores the message hands it to one connected client of --group (--client, else the first by id), which runs its handler once: nothing is stored again and no offset moves. The result is the client's answer: CR_SUCCESS, CR_LATER (it failed the message), CR_THROW_EXCEPTION… Works with a dead letter's id too: the consumer sees the original topic.

Java consumers and rmq's own (\`rmq consume\`) answer. Exits 9 when the client answered with anything but CR_SUCCESS, 5 when it did not answer (not online, timed out, no support for the request).`;
  static override examples = [
    '<%= config.bin %> message resend 7F00000100002A9F0000000000001A2B --group billing',
    '<%= config.bin %> message resend C0A8010A1B2C18B4AAC2 --group billing --topic orders --client 10.0.0.5@4711 --json',
  ];
  static override args = {
    id: Args.string({ required: true, description: 'Message id (UNIQ_KEY) or offset message id.' }),
  };
  static override flags = {
    ...connectionFlags,
    group: Flags.string({ char: 'g', required: true, summary: 'Consumer group to deliver to.' }),
    client: Flags.string({ summary: 'The client id to deliver to (see `rmq group clients`).' }),
    topic: Flags.string({
      summary: 'Topic of the message (helps find a message id; not needed for an offset id).',
    }),
  };

  async run(): Promise<MessageResendResult> {
    const r = await resendToConsumer(await this.admin(), {
      id: this.args.id,
      group: this.flags.group,
      client: this.flags.client,
      topic: this.flags.topic,
    });
    this.log(renderMessageResend(r));
    const c = r.clients[0];
    if (c && !c.ok) this.setOutcome('broker');
    else if (c && c.consumeResult !== 'CR_SUCCESS') this.setOutcome('check-failed');
    return r;
  }
}
