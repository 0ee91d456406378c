import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { formatRule, parseAddressMap } from '../../core/client/address-map.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { duration } from '../../flags.js';
import {
  loadProfiles,
  type Profile,
  redact,
  saveProfiles,
  validateProfileName,
} from '../../services/profiles.js';
import { promptSecret } from '../../ui/secret-prompt.js';

/** What `rmq profile create --json` prints (secrets masked). */
export interface ProfileCreateResult {
  name: string;
  /** Whether it is the current profile. */
  current: boolean;
  profile: Profile;
}

export default class ProfileCreate extends BaseCommand<typeof ProfileCreate> {
  static override summary = 'Create or replace a connection profile.';
  static override description =
    'Profiles hold name servers, credentials, TLS settings, a timeout and a broker address map, in ~/.config/rmq/profiles.json (mode 0600). Precedence: flag > environment > profile > default. The credentials and TLS settings are used only with the name servers of the profile (without --namesrv: 127.0.0.1:9876): when --namesrv, RMQ_NAMESRV or NAMESRV_ADDR name others, they are left out, and so is the broker address map. The secret key comes from RMQ_SECRET_KEY, --secret-key, or a prompt on a terminal.';
  static override examples = [
    '<%= config.bin %> profile create prod --namesrv "10.0.0.5:9876;10.0.0.6:9876" --access-key ops --use',
    'RMQ_SECRET_KEY=… <%= config.bin %> profile create staging --namesrv 10.1.0.5:9876 --access-key ops --tls',
    '<%= config.bin %> profile create docker --namesrv 127.0.0.1:9876 --broker-address-map 172.17.0.3=127.0.0.1',
  ];
  static override args = { name: Args.string({ required: true, description: 'Profile name.' }) };
  static override flags = {
    namesrv: Flags.string({ char: 'n', summary: 'Name server address(es), host:port separated by ";".' }),
    timeout: duration({ summary: 'Request timeout (e.g. 5s).' }),
    'access-key': Flags.string({ summary: 'ACL access key.' }),
    'secret-key': Flags.string({
      summary: 'ACL secret key (prefer RMQ_SECRET_KEY or the prompt).',
      env: 'RMQ_SECRET_KEY',
    }),
    tls: Flags.boolean({ summary: 'Connect with TLS.' }),
    'tls-ca': Flags.string({ summary: 'PEM file of trusted CAs.' }),
    'tls-insecure': Flags.boolean({ summary: 'Do not verify the server certificate.' }),
    'broker-address-map': Flags.string({
      summary: 'Dial a broker that advertises FROM at TO instead (host:port or host; repeatable).',
      multiple: true,
    }),
    use: Flags.boolean({ summary: 'Make it the current profile.' }),
  };

  async run(): Promise<ProfileCreateResult> {
    const { name } = this.args;
    const f = this.flags;
    validateProfileName(name);
    if (f['tls-ca'] !== undefined && f['tls-insecure']) {
      throw new InvalidArgumentError('--tls-ca and --tls-insecure contradict each other', {
        hint: 'a CA is there to verify the certificate: drop --tls-insecure',
      });
    }
    const addressMap = f['broker-address-map']
      ? parseAddressMap(f['broker-address-map'], '--broker-address-map')
      : [];
    let secretKey = f['secret-key'];
    if (f['access-key'] && !secretKey) {
      if (!process.stdin.isTTY) {
        throw new InvalidArgumentError('--access-key needs a secret key', {
          hint: 'set RMQ_SECRET_KEY, or run on a terminal to be prompted',
        });
      }
      secretKey = await promptSecret(`Secret key for ${f['access-key']}: `);
    }
    const profile: Profile = {
      namesrv: f.namesrv,
      timeout: f.timeout,
      accessKey: f['access-key'],
      secretKey,
      tls: f.tls || undefined,
      tlsCa: f['tls-ca'],
      tlsInsecure: f['tls-insecure'] || undefined,
      brokerAddressMap: addressMap.length > 0 ? addressMap.map(formatRule) : undefined,
    };
    const file = await loadProfiles();
    file.profiles[name] = JSON.parse(JSON.stringify(profile)) as Profile;
    if (f.use || !file.current) file.current = name;
    await saveProfiles(file);
    this.log(`saved profile ${name}${file.current === name ? ' (current)' : ''}`);
    return { name, current: file.current === name, profile: redact(profile) };
  }
}
