import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { diffNamesrvConfig, type NamesrvConfigDiffResult } from '../../../services/namesrv.js';
import { renderNamesrvConfigDiff } from '../../../ui/namesrv.js';

export default class NamesrvConfigDiff extends BaseCommand<typeof NamesrvConfigDiff> {
  static override summary = 'Keys whose values differ between two name servers.';
  static override description =
    'A and B are name-server addresses (host:port), of the profile or not. Keys that name the server or its machine (listenPort, bindAddress, kvConfigPath, configStorePath, rocketmqHome, …) are left out unless --all. Exits 0 whether or not there are differences.';
  static override examples = ['<%= config.bin %> namesrv config diff 10.0.0.1:9876 10.0.0.2:9876'];
  static override args = {
    a: Args.string({ required: true, description: 'First name server, host:port.' }),
    b: Args.string({ required: true, description: 'Second name server, host:port.' }),
  };
  static override flags = {
    ...connectionFlags,
    all: Flags.boolean({ summary: 'Also compare the keys that name the server and its machine.' }),
  };

  async run(): Promise<NamesrvConfigDiffResult> {
    const r = await diffNamesrvConfig(await this.admin(), {
      a: this.args.a,
      b: this.args.b,
      includeIdentity: this.flags.all,
    });
    this.log(renderNamesrvConfigDiff(r));
    return r;
  }
}
