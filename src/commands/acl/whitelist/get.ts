import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclWhitelistResult, getAclWhitelist } from '../../../services/acl-accounts.js';
import { renderWhitelist } from '../../../ui/acl.js';

export default class AclWhitelistGet extends AclCommand<typeof AclWhitelistGet> {
  static override summary = "Show each master's global white list (plain ACL, RocketMQ 4.x).";
  static override description = 'Requests from these addresses skip the signature check.';
  static override examples = ['<%= config.bin %> acl whitelist get'];
  static override flags = { ...aclTargetFlags };

  async run(): Promise<AclWhitelistResult> {
    const r = await getAclWhitelist(await this.admin(), {
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderWhitelist(r));
    return r;
  }
}
