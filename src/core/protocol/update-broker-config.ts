/**
 * UPDATE_BROKER_CONFIG (25), to a broker. No request fields; body `key=value\n` lines read with
 * java.util.Properties.load (see properties-text.ts).
 *
 * The broker sets each key on every config object that has it (an unknown key is silently
 * ignored), then rewrites its config file (brokerConfigPath) with its whole configuration.
 * Response codes accepted: SUCCESS (0). NO_PERMISSION (16) "Can not update config in black
 * list." for brokerConfigPath, rocketmqHome, configBlackList and the broker's own configBlackList;
 * SYSTEM_ERROR (1) when the body does not parse. Both are errors to the caller.
 */
import { encodePropertiesText } from './properties-text.js';

export const ACCEPTED_UPDATE_BROKER_CONFIG_CODES = ['SUCCESS'] as const;

/** Keys every broker refuses to update (AdminBrokerProcessor#initConfigBlackList). */
export const BROKER_CONFIG_BLACKLIST = ['brokerConfigPath', 'rocketmqHome', 'configBlackList'] as const;

export function encodeBrokerConfigUpdate(changes: ReadonlyMap<string, string>): Buffer {
  return encodePropertiesText(changes);
}
