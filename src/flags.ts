/** Shared flag builders. Every flag that configures a connection also reads an environment variable. */
import { Flags } from '@oclif/core';
import { InvalidArgumentError } from './core/errors.js';
import { DEFAULT_MAX_BODY_BYTES } from './core/protocol/message.js';
import { parseDuration, parseSize } from './core/util/units.js';
import { defaultLocalDir } from './local/paths.js';

export const DEFAULT_NAMESRV = '127.0.0.1:9876';

export const duration = Flags.custom<number>({
  parse: async (input) => parseDuration(input),
});

export const size = Flags.custom<number>({
  parse: async (input) => parseSize(input),
});

/**
 * --max-body of the commands that read stored messages: compressed bodies are inflated up to this
 * size; a larger one (a zip bomb, or a body from a producer that ignores the 4 MiB limit) is
 * reported with its message and not shown, and the command goes on.
 */
export function maxBodyFlag() {
  return Flags.custom<number>({
    summary: 'Largest size a compressed body is inflated to; larger ones are reported, not shown.',
    env: 'RMQ_MAX_BODY',
    default: DEFAULT_MAX_BODY_BYTES,
    defaultHelp: async () => '64MiB',
    parse: async (input) => {
      const n = parseSize(input, '--max-body');
      if (n < 1) throw new InvalidArgumentError(`--max-body must be at least 1 byte, got "${input}"`);
      return n;
    },
  })();
}

/** --dir of the `local` commands: where a local cluster keeps its state. */
export function localDirFlag(summary = 'State dir of the cluster.') {
  return Flags.string({
    summary,
    env: 'RMQ_LOCAL_DIR',
    default: async () => defaultLocalDir(),
    defaultHelp: async () => '$XDG_STATE_HOME/rmq/local or ~/.local/state/rmq/local',
  });
}

export const connectionFlags = {
  namesrv: Flags.string({
    char: 'n',
    summary: 'Name server address(es), host:port separated by ";".',
    description: `Read from RMQ_NAMESRV, then NAMESRV_ADDR (as RocketMQ's own tools do), else ${DEFAULT_NAMESRV}.`,
    env: 'RMQ_NAMESRV',
    default: async () => process.env.NAMESRV_ADDR || DEFAULT_NAMESRV,
    helpGroup: 'CONNECTION',
  }),
  timeout: duration({
    summary: 'Timeout of each request and of the connect (e.g. 500ms, 5s).',
    env: 'RMQ_TIMEOUT',
    default: 5000,
    defaultHelp: async () => '5s',
    helpGroup: 'CONNECTION',
  }),
  profile: Flags.string({
    summary: 'Connection profile to use (see `rmq profile`).',
    env: 'RMQ_PROFILE',
    helpGroup: 'CONNECTION',
  }),
  'access-key': Flags.string({
    summary: 'ACL access key: every request is signed.',
    env: 'RMQ_ACCESS_KEY',
    helpGroup: 'CONNECTION',
  }),
  'secret-key': Flags.string({
    summary: 'ACL secret key. Prefer RMQ_SECRET_KEY or a profile: a flag shows in `ps` and shell history.',
    env: 'RMQ_SECRET_KEY',
    helpGroup: 'CONNECTION',
  }),
  tls: Flags.boolean({ summary: 'Connect with TLS.', env: 'RMQ_TLS', helpGroup: 'CONNECTION' }),
  'tls-ca': Flags.string({
    summary: 'PEM file of trusted CAs for --tls.',
    env: 'RMQ_TLS_CA',
    helpGroup: 'CONNECTION',
  }),
  'tls-insecure': Flags.boolean({
    summary: 'Do not verify the server certificate (e.g. a broker in TLS test mode).',
    env: 'RMQ_TLS_INSECURE',
    helpGroup: 'CONNECTION',
  }),
  // No `env` here: oclif hands a multiple flag's variable over unsplit; BaseCommand reads
  // RMQ_BROKER_ADDRESS_MAP itself.
  'broker-address-map': Flags.string({
    summary:
      'Dial a broker that advertises FROM at TO instead (host:port or host for all ports; repeatable).',
    description:
      'For brokers that advertise addresses this machine cannot reach (containers, NAT). Also RMQ_BROKER_ADDRESS_MAP (rules separated by commas, semicolons or blanks) and profiles. Name servers are dialled as given.',
    multiple: true,
    helpGroup: 'CONNECTION',
  }),
};

/** Which dead letters `rmq dlq list | resend` take. */
export const dlqFilterFlags = {
  key: Flags.string({ char: 'k', summary: 'Only dead letters with this message key.' }),
  tag: Flags.string({ char: 't', summary: 'Only dead letters with this tag.' }),
  since: Flags.string({
    summary: 'Only those stored in the DLQ at or after this time: ISO, epoch ms, or a duration ago (2h, 7d).',
  }),
  until: Flags.string({ summary: 'Only those stored in the DLQ before this time (as --since).' }),
};

/** The flags `rmq diff` and `rmq apply` share: the document, and which of the cluster to compare it with. */
export const metadataFlags = {
  ...connectionFlags,
  file: Flags.string({ char: 'f', summary: 'The metadata document (YAML or JSON).', required: true }),
  cluster: Flags.string({ char: 'c', summary: "Compare with this cluster's masters only." }),
  include: Flags.string({
    summary: 'What to compare, comma-separated: topics, groups, acl (default topics,groups).',
    multiple: true,
  }),
  system: Flags.boolean({ summary: 'Look at system topics and groups too.' }),
  prefix: Flags.string({
    summary: "Only names starting with this (default: the document's scope.prefix).",
  }),
};
