import { Args } from '@oclif/core';
import { AclCommand, aclChangeFlags, policyFlags } from '../../../acl-command.js';
import { parseActions, parseDecision, parseSourceIp } from '../../../core/protocol/acl-policy.js';
import { type AclPolicyChangeResult, planAclPolicyChange } from '../../../services/acl-policies.js';
import { renderPolicyChange } from '../../../ui/acl.js';

export default class AclPolicyUpdate extends AclCommand<typeof AclPolicyUpdate> {
  static override summary = "Change a user's policy entries (ACL 2.0, RocketMQ 5.3+).";
  static override description = `Each --resource must have an entry already; what is not given (--actions, --decision, --source-ip) stays as it is. --source-ip replaces the entry's addresses.

Prints the plan first (before → after, per broker and resource); asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when an entry does not exist, 9 when a broker reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> acl policy update alice --resource Topic:orders --decision Deny --yes',
    '<%= config.bin %> acl policy update alice -r Topic:orders --actions Pub,Sub --yes',
  ];
  static override args = {
    subject: Args.string({ required: true, description: 'User name or User:<name>.' }),
  };
  static override flags = { ...aclChangeFlags, ...policyFlags };

  async run(): Promise<AclPolicyChangeResult | undefined> {
    const f = this.flags;
    const dryRun = f['dry-run'] === true;
    const planned = await planAclPolicyChange(await this.admin(), 'update', {
      subject: this.args.subject,
      resources: f.resource ?? [],
      actions: f.actions === undefined ? undefined : parseActions([f.actions]),
      decision: f.decision === undefined ? undefined : parseDecision(f.decision),
      sourceIps: f['source-ip']?.map(parseSourceIp),
      broker: f.broker,
      cluster: f.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderPolicyChange, {
      yes: f.yes,
      dryRun,
      refusal: `refusing to change the policies of ${planned.plan.subject} without confirmation`,
      applied: (r) => r.entries.every((e) => e.applied !== false),
    });
  }
}
