import { Args, Flags } from '@oclif/core';
import { AclCommand, aclChangeFlags } from '../../../acl-command.js';
import { InvalidArgumentError } from '../../../core/errors.js';
import { parseWhiteAddr } from '../../../core/protocol/plain-acl-white-addrs.js';
import { type AclWhitelistSetResult, planAclWhitelist } from '../../../services/acl-accounts.js';
import { renderWhitelistSet } from '../../../ui/acl.js';

export default class AclWhitelistSet extends AclCommand<typeof AclWhitelistSet> {
  static override summary = 'Replace the global white list (plain ACL, RocketMQ 4.x).';
  static override description = `Requests from these addresses skip the signature check: anyone there acts as an admin. --none empties the list.

Prints the plan first (before → after, per broker); asks on a terminal; needs --yes otherwise; --dry-run prints the plan only. Exits 9 when a broker reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> acl whitelist set 10.10.*.* 192.168.0.1-20 --yes',
    '<%= config.bin %> acl whitelist set --none --yes',
  ];
  static override strict = false;
  static override args = {
    addresses: Args.string({ description: 'Addresses or patterns: 10.10.1.5, 10.10.*.*, 10.10.1.1-100, *.' }),
  };
  static override flags = {
    ...aclChangeFlags,
    none: Flags.boolean({ summary: 'Empty the list.' }),
  };

  async run(): Promise<AclWhitelistSetResult | undefined> {
    const f = this.flags;
    const { argv } = await this.parse(AclWhitelistSet);
    const addresses = argv.map(String);
    const none = f.none === true;
    if (none === addresses.length > 0) {
      throw new InvalidArgumentError(none ? '--none takes no addresses' : 'no address given', {
        hint: 'give the addresses, or --none to empty the list',
      });
    }
    const dryRun = f['dry-run'] === true;
    const planned = await planAclWhitelist(await this.admin(), {
      addresses: addresses.map(parseWhiteAddr),
      broker: f.broker,
      cluster: f.cluster,
      dryRun,
    });
    return this.carryOut(planned, renderWhitelistSet, {
      yes: f.yes,
      dryRun,
      refusal: 'refusing to replace the global white list without confirmation',
      applied: (r) => r.brokers.every((b) => b.applied !== false),
    });
  }
}
