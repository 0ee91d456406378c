import { Flags } from '@oclif/core';
import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclPolicyListResult, listAclPolicies } from '../../../services/acl-policies.js';
import { renderPolicyList } from '../../../ui/acl.js';

export default class AclPolicyList extends AclCommand<typeof AclPolicyList> {
  static override summary = 'List the ACL 2.0 policies of every master, or those selected (RocketMQ 5.3+).';
  static override examples = [
    '<%= config.bin %> acl policy list',
    '<%= config.bin %> acl policy list --subject alice --resource Topic:orders --json',
  ];
  static override flags = {
    ...aclTargetFlags,
    subject: Flags.string({ summary: 'Only subjects containing this (e.g. User:alice).' }),
    resource: Flags.string({ summary: 'Only entries whose resource contains this (e.g. Topic:orders).' }),
  };

  async run(): Promise<AclPolicyListResult> {
    const r = await listAclPolicies(await this.admin(), {
      subject: this.flags.subject,
      resource: this.flags.resource,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderPolicyList(r));
    return r;
  }
}
