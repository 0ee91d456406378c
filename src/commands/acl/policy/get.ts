import { Args } from '@oclif/core';
import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclPolicyGetResult, getAclPolicy } from '../../../services/acl-policies.js';
import { renderPolicyGet } from '../../../ui/acl.js';

export default class AclPolicyGet extends AclCommand<typeof AclPolicyGet> {
  static override summary = "Show a user's ACL 2.0 policies on each master (RocketMQ 5.3+).";
  static override description = 'Exits 6 when the user does not exist.';
  static override examples = [
    '<%= config.bin %> acl policy get alice',
    '<%= config.bin %> acl policy get User:alice --json',
  ];
  static override args = {
    subject: Args.string({ required: true, description: 'User name or User:<name>.' }),
  };
  static override flags = { ...aclTargetFlags };

  async run(): Promise<AclPolicyGetResult> {
    const r = await getAclPolicy(await this.admin(), {
      subject: this.args.subject,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderPolicyGet(r));
    return r;
  }
}
