import { Args, Flags } from '@oclif/core';
import { AclCommand, aclChangeFlags } from '../../../acl-command.js';
import { type AclPolicyChangeResult, planAclPolicyChange } from '../../../services/acl-policies.js';
import { renderPolicyChange } from '../../../ui/acl.js';

export default class AclPolicyDelete extends AclCommand<typeof AclPolicyDelete> {
  static override summary = "Delete a user's policy entries, or all its policies (ACL 2.0, RocketMQ 5.3+).";
  static override description = `With --resource, those entries; without, every policy of the user (the user stays; it is then refused everything).

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when an entry or the user does not exist, 9 when a broker still has it afterwards.`;
  static override examples = [
    '<%= config.bin %> acl policy delete alice --resource Topic:orders --yes',
    '<%= config.bin %> acl policy delete alice --yes',
  ];
  static override args = {
    subject: Args.string({ required: true, description: 'User name or User:<name>.' }),
  };
  static override flags = {
    ...aclChangeFlags,
    resource: Flags.string({
      char: 'r',
      summary: 'Only the entry of this resource (repeatable).',
      multiple: true,
    }),
  };

  async run(): Promise<AclPolicyChangeResult | undefined> {
    const f = this.flags;
    const dryRun = f['dry-run'] === true;
    const planned = await planAclPolicyChange(await this.admin(), 'delete', {
      subject: this.args.subject,
      resources: f.resource ?? [],
      broker: f.broker,
      cluster: f.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderPolicyChange, {
      yes: f.yes,
      dryRun,
      refusal: `refusing to delete policies of ${planned.plan.subject} without confirmation`,
      applied: (r) => r.entries.every((e) => e.applied !== false),
    });
  }
}
