import { AclCommand, aclTargetFlags } from '../../../acl-command.js';
import { type AclAccountListResult, listAclAccounts } from '../../../services/acl-accounts.js';
import { renderAccountList } from '../../../ui/acl.js';

export default class AclAccountList extends AclCommand<typeof AclAccountList> {
  static override summary =
    'List the plain ACL accounts of every master, or those selected (RocketMQ 4.x); no secrets.';
  static override description = "Also shows each broker's global white list.";
  static override examples = [
    '<%= config.bin %> acl account list',
    '<%= config.bin %> acl account list --broker broker-a --json',
  ];
  static override flags = { ...aclTargetFlags };

  async run(): Promise<AclAccountListResult> {
    const r = await listAclAccounts(await this.admin(), {
      broker: this.flags.broker,
      cluster: this.flags.cluster,
    });
    this.logLines(renderAccountList(r));
    return r;
  }
}
