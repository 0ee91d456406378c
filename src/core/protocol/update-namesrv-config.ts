/**
 * UPDATE_NAMESRV_CONFIG (318), to a name server. No request fields; body `key=value\n` lines.
 *
 * Like UPDATE_BROKER_CONFIG: unknown keys are ignored, the whole configuration is rewritten to
 * its config file. Accepted: SUCCESS (0). NO_PERMISSION (16) for configBlackList,
 * configStorePath, kvConfigPath, rocketmqHome and the server's own configBlackList.
 */
import { encodePropertiesText } from './properties-text.js';

export const ACCEPTED_UPDATE_NAMESRV_CONFIG_CODES = ['SUCCESS'] as const;

export const NAMESRV_CONFIG_BLACKLIST = [
  'configBlackList',
  'configStorePath',
  'kvConfigPath',
  'rocketmqHome',
] as const;

export function encodeNamesrvConfigUpdate(changes: ReadonlyMap<string, string>): Buffer {
  return encodePropertiesText(changes);
}
