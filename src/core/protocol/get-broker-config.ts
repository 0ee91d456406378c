/**
 * GET_BROKER_CONFIG (26), to a broker. No request fields.
 *
 * Response SUCCESS (0): extFields `version` (the configuration's DataVersion as JSON), body the
 * broker's whole configuration as `key=value\n` lines (BrokerConfig, MessageStoreConfig and the
 * Netty server/client configs merged, sorted by key, plus keys only found in its config file).
 * Accepted codes: SUCCESS only.
 */
import type { RemotingCommand } from '../remoting/command.js';
import { decodePropertiesText } from './properties-text.js';

export const ACCEPTED_GET_BROKER_CONFIG_CODES = ['SUCCESS'] as const;

export function decodeBrokerConfig(res: RemotingCommand): Map<string, string> {
  return decodePropertiesText(res.body, 'broker config');
}
