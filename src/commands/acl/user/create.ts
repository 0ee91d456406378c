import { Args, Flags } from '@oclif/core';
import { AclCommand, aclChangeFlags, passwordFlags } from '../../../acl-command.js';
import { USER_STATUSES, USER_TYPES } from '../../../core/protocol/acl-user.js';
import { type AclUserChangeResult, planAclUserChange } from '../../../services/acl-users.js';
import { renderUserChange } from '../../../ui/acl.js';

export default class AclUserCreate extends AclCommand<typeof AclUserCreate> {
  static override summary = 'Create an ACL 2.0 user (RocketMQ 5.3+) on every master, or those selected.';
  static override description = `The password comes from --password-stdin, a prompt on a terminal, or --password (which warns: it lands in shell history). It goes to the brokers and nowhere else: not in the output, the --json document or any log. Only a Super user may create a Super user.

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. Exits 2 when the user exists already or the broker is older than 5.3, 9 when a broker reads back otherwise.`;
  static override examples = [
    'printf \'%s\' "$PW" | <%= config.bin %> acl user create alice --password-stdin --yes',
    '<%= config.bin %> acl user create ops --type Super --cluster DefaultCluster',
  ];
  static override args = { username: Args.string({ required: true, description: 'User name.' }) };
  static override flags = {
    ...aclChangeFlags,
    ...passwordFlags('password'),
    type: Flags.option({ options: USER_TYPES, summary: 'User type.', default: 'Normal' as const })(),
    status: Flags.option({ options: USER_STATUSES, summary: 'User status.', default: 'enable' as const })(),
  };

  async run(): Promise<AclUserChangeResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const password = await this.password(this.flags, 'password', !dryRun);
    const planned = await planAclUserChange(await this.admin(), 'create', {
      username: this.args.username,
      password: password ?? (dryRun ? '(not asked on a dry run)' : undefined),
      userType: this.flags.type,
      userStatus: this.flags.status,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderUserChange, {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to create user ${this.args.username} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
