import { Args } from '@oclif/core';
import { AclCommand, accountFlags, aclChangeFlags, passwordFlags } from '../../../acl-command.js';
import { parsePlainPerm, parseResourcePerm } from '../../../core/protocol/plain-acl.js';
import { type AclAccountChangeResult, planAclAccountChange } from '../../../services/acl-accounts.js';
import { renderAccountChange } from '../../../ui/acl.js';

export default class AclAccountUpdate extends AclCommand<typeof AclAccountUpdate> {
  static override summary = 'Change a plain ACL account (RocketMQ 4.x).';
  static override description = `What is not given stays as it is, the secret key too (the broker's own is sent back; a new one comes from --password-stdin, --password-prompt or --password). --topic-perm and --group-perm replace the entry of that name and keep the others; the broker cannot empty the lists: set an entry to DENY instead.

Prints the plan first (before and after, per broker); asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 6 when a selected broker lacks the account, 9 when a broker reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> acl account update orders-app --topic-perm orders=PUB|SUB --yes',
    '<%= config.bin %> acl account update orders-app --no-admin --default-topic-perm DENY --yes',
  ];
  static override args = { accessKey: Args.string({ required: true, description: 'Access key.' }) };
  static override flags = { ...aclChangeFlags, ...passwordFlags('secret key'), ...accountFlags };

  async run(): Promise<AclAccountChangeResult | undefined> {
    const f = this.flags;
    const dryRun = f['dry-run'] === true;
    const planned = await planAclAccountChange(await this.admin(), 'update', {
      accessKey: this.args.accessKey,
      secretKey: await this.password(f, 'secret key', false),
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
      refusal: `refusing to update account ${this.args.accessKey} without confirmation`,
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
