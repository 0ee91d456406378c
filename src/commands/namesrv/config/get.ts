import { Args } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { getNamesrvConfig, type NamesrvConfigGetResult } from '../../../services/namesrv.js';
import { renderNamesrvConfig } from '../../../ui/namesrv.js';

export default class NamesrvConfigGet extends BaseCommand<typeof NamesrvConfigGet> {
  static override summary =
    "Every name server's configuration as it runs with it: all keys, or the ones named.";
  static override description = `Asks each name server of --namesrv (or the profile) on its own: name servers share nothing, so one column (one --json row) per name server. One that does not answer gets a row with its error and the run exits 3; if none answers, that is the error. An unknown key exits 2 and names the nearest keys.`;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> namesrv config get',
    '<%= config.bin %> namesrv config get orderMessageEnable enableAllTopicList --json',
    '<%= config.bin %> namesrv config get -n "ns1:9876;ns2:9876" waitSecondsForService',
  ];
  static override args = {
    keys: Args.string({ required: false, description: 'Config keys to show (any number).' }),
  };
  static override flags = { ...connectionFlags };

  async run(): Promise<NamesrvConfigGetResult> {
    const { argv } = await this.parse(NamesrvConfigGet);
    const r = await getNamesrvConfig(await this.admin(), { keys: argv.map(String) });
    this.log(renderNamesrvConfig(r));
    if (r.namesrvs.some((n) => n.error)) this.setOutcome('connection');
    return r;
  }
}
