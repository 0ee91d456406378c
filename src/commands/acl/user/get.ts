import { Args } from '@oclif/core';
import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclUserGetResult, getAclUser } from '../../../services/acl-users.js';
import { renderUserGet } from '../../../ui/acl.js';

export default class AclUserGet extends AclCommand<typeof AclUserGet> {
  static override summary = 'Show one ACL 2.0 user on each master (RocketMQ 5.3+); no password.';
  static override description = 'Exits 6 when no selected broker has the user.';
  static override examples = ['<%= config.bin %> acl user get alice'];
  static override args = { username: Args.string({ required: true, description: 'User name.' }) };
  static override flags = { ...aclTargetFlags };

  async run(): Promise<AclUserGetResult> {
    const r = await getAclUser(await this.admin(), {
      username: this.args.username,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderUserGet(r));
    return r;
  }
}
