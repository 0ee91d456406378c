import { Args } from '@oclif/core';
import { AclCommand, aclChangeFlags, policyFlags } from '../../../acl-command.js';
import { parseActions, parseDecision, parseSourceIp } from '../../../core/protocol/acl-policy.js';
import { type AclPolicyChangeResult, planAclPolicyChange } from '../../../services/acl-policies.js';
import { renderPolicyChange } from '../../../ui/acl.js';

export default class AclPolicyCreate extends AclCommand<typeof AclPolicyCreate> {
  static override summary = 'Give a user a policy entry per resource (ACL 2.0, RocketMQ 5.3+).';
  static override description = `The subject is a user name or User:<name>; the user must exist. Each --resource gets one entry with the --actions, --decision (default Allow) and --source-ip given. A Deny entry wins over an Allow one that matches the same request. Refused when the user has an entry for that resource already (change it with \`rmq acl policy update\`).

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 2 for a malformed resource, action or address, 6 for an unknown user, 9 when a broker reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> acl policy create alice --resource Topic:orders --actions Pub --yes',
    '<%= config.bin %> acl policy create alice -r Topic:orders -r Group:billing --actions Sub --source-ip 10.0.0.0/8',
    '<%= config.bin %> acl policy create alice -r "Topic:test-*" --actions All --decision Deny --dry-run',
  ];
  static override args = {
    subject: Args.string({ required: true, description: 'User name or User:<name>.' }),
  };
  static override flags = { ...aclChangeFlags, ...policyFlags };

  async run(): Promise<AclPolicyChangeResult | undefined> {
    const f = this.flags;
    const dryRun = f['dry-run'] === true;
    const planned = await planAclPolicyChange(await this.admin(), 'create', {
      subject: this.args.subject,
      resources: f.resource ?? [],
      actions: f.actions === undefined ? undefined : parseActions([f.actions]),
      decision: parseDecision(f.decision ?? 'Allow'),
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
