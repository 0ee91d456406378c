import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { getKv, type KvGetResult } from '../../../services/namesrv-kv.js';
import { renderKvGet } from '../../../ui/namesrv.js';

export default class NamesrvKvGet extends BaseCommand<typeof NamesrvKvGet> {
  static override summary = 'One KV-config value, from every name server.';
  static override description =
    'With one name server, prints the value alone (for scripts); with several, one row each. A key no name server has exits 6; a name server that does not answer gets a row with its error and the run exits 3.';
  static override examples = [
    '<%= config.bin %> namesrv kv get --namespace ORDER_TOPIC_CONFIG my-ordered-topic',
  ];
  static override args = {
    key: Args.string({ required: true, description: 'Key.' }),
  };
  static override flags = {
    ...connectionFlags,
    namespace: Flags.string({ required: true, summary: 'KV namespace.' }),
  };

  async run(): Promise<KvGetResult> {
    const r = await getKv(await this.admin(), { namespace: this.flags.namespace, key: this.args.key });
    this.logLines(renderKvGet(r));
    if (r.namesrvs.some((n) => n.error)) this.setOutcome('connection');
    return r;
  }
}
