import { Args } from '@oclif/core';
import { AclCommand, accountFlags, aclChangeFlags, passwordFlags } from '../../../acl-command.js';
import { parsePlainPerm, parseResourcePerm } from '../../../core/protocol/plain-acl.js';
import { type AclAccountChangeResult, planAclAccountChange } from '../../../services/acl-accounts.js';
import { renderAccountChange } from '../../../ui/acl.js';

export default class AclAccountCreate extends AclCommand<typeof AclAccountCreate> {
  static override summary = 'Create a plain ACL account (RocketMQ 4.x) on every master, or those selected.';
  static override description = `The secret key comes from --password-stdin, a prompt on a terminal, or --password (which warns); it is never shown. Access key and secret must be longer than 6 characters. Defaults: not admin, DENY for topics and groups not listed.

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 2 when the account exists already or the broker is 5.3 or later, 9 when a broker reads back otherwise.`;
  static override examples = [
    'printf \'%s\' "$SECRET" | <%= config.bin %> acl account create orders-app --password-stdin --topic-perm orders=PUB --yes',
    '<%= config.bin %> acl account create reporting --default-topic-perm SUB --default-group-perm SUB',
  ];
  static override args = { accessKey: Args.string({ required: true, description: 'Access key.' }) };
  static override flags = { ...aclChangeFlags, ...passwordFlags('secret key'), ...accountFlags };

  async run(): Promise<AclAccountChangeResult | undefined> {
    const f = this.flags;
    const dryRun = f['dry-run'] === true;
    const secretKey = await this.password(f, 'secret key', !dryRun);
    const planned = await planAclAccountChange(await this.admin(), 'create', {
      accessKey: this.args.accessKey,
      secretKey: secretKey ?? (dryRun ? 'not-asked-on-a-dry-run' : undefined),
      whiteRemoteAddress: f['white-remote-address'],
      admin: f.admin,
      defaultTopicPerm:
        f['default-topic-perm'] === undefined ? undefined : parsePlainPerm(f['default-topic-perm']),
      defaultGroupPerm:
        f['default-group-perm'] === undefined ? undefined : parsePlainPerm(f['default-group-perm']),
      topicPerms: f['topic-perm']?.map(parseResourcePerm),
      groupPerms: f['group-perm']?.map(parseResourcePerm),
      broker: f.broker,
      cluster: f.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderAccountChange, {
      yes: f.yes,
      dryRun,
      refusal: `refusing to create account ${this.args.accessKey} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
