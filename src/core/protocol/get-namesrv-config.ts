/**
 * GET_NAMESRV_CONFIG (319), to a name server. No request fields.
 *
 * Response SUCCESS (0): body the name server's configuration (NamesrvConfig and the Netty
 * configs) as `key=value\n` lines, as GET_BROKER_CONFIG. Accepted codes: SUCCESS only.
 */
import type { RemotingCommand } from '../remoting/command.js';
import { decodePropertiesText } from './properties-text.js';

export const ACCEPTED_GET_NAMESRV_CONFIG_CODES = ['SUCCESS'] as const;

export function decodeNamesrvConfig(res: RemotingCommand): Map<string, string> {
  return decodePropertiesText(res.body, 'name server config');
}
