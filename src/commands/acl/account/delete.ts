import { Args } from '@oclif/core';
import { AclCommand, aclChangeFlags } from '../../../acl-command.js';
import { type AclAccountChangeResult, planAclAccountChange } from '../../../services/acl-accounts.js';
import { renderAccountChange } from '../../../ui/acl.js';

export default class AclAccountDelete extends AclCommand<typeof AclAccountDelete> {
  static override summary = 'Delete a plain ACL account (RocketMQ 4.x).';
  static override description = `Its next request is refused.

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when a selected broker lacks the account, 9 when a broker still has it afterwards.`;
  static override examples = ['<%= config.bin %> acl account delete orders-app --yes'];
  static override args = { accessKey: Args.string({ required: true, description: 'Access key.' }) };
  static override flags = { ...aclChangeFlags };

  async run(): Promise<AclAccountChangeResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const planned = await planAclAccountChange(await this.admin(), 'delete', {
      accessKey: this.args.accessKey,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderAccountChange, {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to delete account ${this.args.accessKey} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
