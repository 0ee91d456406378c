/** Shared flag builders. Every flag that configures a connection also reads an environment variable. */
import { Flags } from '@oclif/core';
import { parseDuration, parseSize } from './core/util/units.js';

export const DEFAULT_NAMESRV = '127.0.0.1:9876';

export const duration = Flags.custom<number>({
  parse: async (input) => parseDuration(input),
});

export const size = Flags.custom<number>({
  parse: async (input) => parseSize(input),
});

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
};
