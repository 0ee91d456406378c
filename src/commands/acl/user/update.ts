import { Args, Flags } from '@oclif/core';
import { AclCommand, aclChangeFlags, passwordFlags } from '../../../acl-command.js';
import { USER_STATUSES, USER_TYPES } from '../../../core/protocol/acl-user.js';
import { type AclUserChangeResult, planAclUserChange } from '../../../services/acl-users.js';
import { renderUserChange } from '../../../ui/acl.js';

export default class AclUserUpdate extends AclCommand<typeof AclUserUpdate> {
  static override summary = 'Change an ACL 2.0 user: password, type, status (RocketMQ 5.3+).';
  static override description = `What is not given stays as it is. A new password comes from --password-stdin, --password-prompt or --password (which warns); it is never shown. --status disable makes the brokers refuse the user's requests while keeping it and its policies.

Prints the plan first (type and status before → after, per broker); asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when a selected broker lacks the user, 9 when a broker reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> acl user update alice --status disable --yes',
    'printf \'%s\' "$NEW" | <%= config.bin %> acl user update alice --password-stdin --yes',
  ];
  static override args = { username: Args.string({ required: true, description: 'User name.' }) };
  static override flags = {
    ...aclChangeFlags,
    ...passwordFlags('password'),
    type: Flags.option({ options: USER_TYPES, summary: 'New user type.' })(),
    status: Flags.option({ options: USER_STATUSES, summary: 'New user status.' })(),
  };

  async run(): Promise<AclUserChangeResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const planned = await planAclUserChange(await this.admin(), 'update', {
      username: this.args.username,
      password: await this.password(this.flags, 'password', false),
      userType: this.flags.type,
      userStatus: this.flags.status,
      broker: this.flags.broker,
      cluster: this.flags.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderUserChange, {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to update user ${this.args.username} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
