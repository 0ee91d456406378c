import { Args } from '@oclif/core';
import { AclCommand, aclChangeFlags } from '../../../acl-command.js';
import { type AclUserChangeResult, planAclUserChange } from '../../../services/acl-users.js';
import { renderUserChange } from '../../../ui/acl.js';

export default class AclUserDelete extends AclCommand<typeof AclUserDelete> {
  static override summary = 'Delete an ACL 2.0 user and its policies (RocketMQ 5.3+).';
  static override description = `The brokers delete the user's policies with it; its next request is refused.

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when no selected broker has the user, 9 when a broker still has it afterwards.`;
  static override examples = ['<%= config.bin %> acl user delete alice --yes'];
  static override args = { username: Args.string({ required: true, description: 'User name.' }) };
  static override flags = { ...aclChangeFlags };

  async run(): Promise<AclUserChangeResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const planned = await planAclUserChange(await this.admin(), 'delete', {
      username: this.args.username,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderUserChange, {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to delete user ${this.args.username} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
