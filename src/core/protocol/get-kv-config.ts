/**
 * GET_KV_CONFIG (101), to one name server: one key of a KV-config namespace (Java: namesrv
 * GetKVConfigRequestHeader / GetKVConfigResponseHeader, KVConfigManager). Served by 4.9 and 5.x.
 *
 * Request extFields: namespace string | key string. No body.
 * Response codes (GET_KV_CONFIG_ACCEPT): SUCCESS with extFields `value`; QUERY_NOT_FOUND (22),
 * remark "No config item, Namespace: … Key: …", when the namespace or the key does not exist
 * (the name server does not tell which).
 */
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';

export const GET_KV_CONFIG_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND];

export function getKvConfigHeader(namespace: string, key: string): Record<string, string> {
  return { namespace, key };
}

/** The value, or undefined when the name server has no such key. */
export function decodeKvConfigValue(res: RemotingCommand): string | undefined {
  if (res.code !== ResponseCode.SUCCESS) return undefined;
  // A SUCCESS always carries the value (KVConfigManager never stores null: Properties-like put).
  return res.extFields.value ?? '';
}
