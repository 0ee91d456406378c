import { Flags } from '@oclif/core';
import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclUserListResult, listAclUsers } from '../../../services/acl-users.js';
import { renderUserList } from '../../../ui/acl.js';

export default class AclUserList extends AclCommand<typeof AclUserList> {
  static override summary =
    'List ACL 2.0 users of every master, or those selected (RocketMQ 5.3+); no passwords.';
  static override examples = [
    '<%= config.bin %> acl user list',
    '<%= config.bin %> acl user list --filter ops --json',
  ];
  static override flags = {
    ...aclTargetFlags,
    filter: Flags.string({ summary: 'Only users whose name contains this.' }),
  };

  async run(): Promise<AclUserListResult> {
    const r = await listAclUsers(await this.admin(), {
      filter: this.flags.filter,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderUserList(r));
    return r;
  }
}
