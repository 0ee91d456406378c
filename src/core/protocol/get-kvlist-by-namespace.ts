/**
 * GET_KVLIST_BY_NAMESPACE (219), to one name server: every key of a KV-config namespace (Java:
 * namesrv GetKVListByNamespaceRequestHeader, KVConfigManager#getKVListByNamespace). Served by
 * 4.9 and 5.x.
 *
 * Request extFields: namespace string. No body.
 * Response codes (GET_KVLIST_BY_NAMESPACE_ACCEPT): SUCCESS with a KVTable body,
 * {"table":{"key":"value",…}} (empty table for a namespace whose keys were all deleted);
 * QUERY_NOT_FOUND (22), "No config item, Namespace: …", for a namespace never written to.
 */
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';
import { decodeKvTable } from './admin.js';

export const GET_KVLIST_BY_NAMESPACE_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.QUERY_NOT_FOUND,
];

export function getKvListByNamespaceHeader(namespace: string): Record<string, string> {
  return { namespace };
}

/** The namespace's keys, or undefined when the name server has no such namespace. */
export function decodeKvList(res: RemotingCommand): Record<string, string> | undefined {
  if (res.code !== ResponseCode.SUCCESS) return undefined;
  return decodeKvTable(res.body);
}
