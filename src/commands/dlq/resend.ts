import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags, dlqFilterFlags, maxBodyFlag } from '../../flags.js';
import { parseTimeBound } from '../../services/dlq.js';
import { type DlqResendResult, planDlqResend } from '../../services/dlq-resend.js';
import { renderDlqResend } from '../../ui/dlq.js';

export default class DlqResend extends BaseCommand<typeof DlqResend> {
  static override summary = "Send a group's dead letters back to their original topic (or --to), once.";
  static override description = `Prints the plan first: each matching dead letter and where it goes. Asks on a terminal; needs --yes otherwise; --dry-run prints the plan and sends nothing.

Each message is sent again with its body, keys, tags, message group, user properties and message id; the retry bookkeeping the broker added is dropped, so it starts over. Dead letters stay in the DLQ. A resend log in rmq's state dir (next to the profiles file, one per cluster and group) records each one sent, and a later run skips those unless --again. Exits 5 when any message could not be sent (the result says which and why).`;
  static override examples = [
    '<%= config.bin %> dlq resend billing --dry-run',
    '<%= config.bin %> dlq resend billing --tag paid --since 2h --yes',
    '<%= config.bin %> dlq resend billing --to billing-replay --yes --json',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    ...dlqFilterFlags,
    to: Flags.string({ summary: 'Send to this topic instead of each message’s original topic.' }),
    limit: Flags.integer({ char: 'l', summary: 'Resend at most this many (of those matching).' }),
    again: Flags.boolean({ summary: 'Also resend what the resend log says was resent before.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; send nothing.' }),
    'max-body': maxBodyFlag(),
  };

  async run(): Promise<DlqResendResult | undefined> {
    const f = this.flags;
    const c = await this.connection();
    const dryRun = f['dry-run'] === true;
    const { plan, apply } = await planDlqResend(await this.admin(), {
      group: this.args.group,
      to: f.to,
      key: f.key,
      tag: f.tag,
      sinceMs: f.since === undefined ? undefined : parseTimeBound(f.since, '--since'),
      untilMs: f.until === undefined ? undefined : parseTimeBound(f.until, '--until'),
      limit: f.limit,
      again: f.again === true,
      dryRun,
      namesrv: c.namesrv,
      timeoutMs: c.timeoutMs,
      security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
      maxBodyBytes: f['max-body'],
    });
    if (plan.planned === 0) {
      this.logLines(renderDlqResend(plan, true));
      if (plan.failed > 0) this.setOutcome('broker');
      return plan;
    }
    const go = await this.confirmPlan(renderDlqResend(plan, false), {
      yes: f.yes,
      dryRun,
      refusal: `refusing to resend ${plan.planned} dead letters of group ${plan.group} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderDlqResend(r, true));
    if (r.failed > 0) this.setOutcome('broker');
    return r;
  }
}
