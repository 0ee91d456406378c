/**
 * DELETE_KV_CONFIG (102), to one name server: removes one key of a KV-config namespace (Java:
 * namesrv DeleteKVConfigRequestHeader, KVConfigManager#deleteKVConfig). Served by 4.9 and 5.x.
 *
 * Request extFields: namespace string | key string. No body.
 * Response codes: SUCCESS only, also when the namespace or the key does not exist (the name
 * server removes nothing and says nothing): callers that care read the key first. An emptied
 * namespace stays, empty.
 */
import { ResponseCode } from '../remoting/codes.js';

export const DELETE_KV_CONFIG_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function deleteKvConfigHeader(namespace: string, key: string): Record<string, string> {
  return { namespace, key };
}
