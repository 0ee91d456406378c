/**
 * UNREGISTER_CLIENT (35), to every master in use, at shutdown: this client leaves one producer or
 * consumer group (Java: UnregisterClientRequestHeader, ClientManageProcessor). Best effort: the
 * caller ignores failures, the broker forgets a silent client anyway.
 *
 * Request extFields: clientID string | producerGroup string or consumerGroup string (one group
 *   per request). No body. Response codes: SUCCESS only.
 */
import { ResponseCode } from '../remoting/codes.js';

export const UNREGISTER_CLIENT_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function unregisterClientHeader(
  clientID: string,
  group: { producerGroup: string } | { consumerGroup: string },
): Record<string, string> {
  return { clientID, ...group };
}
