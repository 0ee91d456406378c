/**
 * DELETE_SUBSCRIPTIONGROUP (207), to a master: remove a consumer group's subscription config
 * (Java: DeleteSubscriptionGroupRequestHeader).
 *
 * Request extFields: groupName string | cleanOffset bool (rmq sends "true": the group's committed
 *   offsets go too, so a group created again under the name does not resume at them).
 * No body. Response codes: SUCCESS only.
 */
import { ResponseCode } from '../remoting/codes.js';

export const DELETE_SUBSCRIPTION_GROUP_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function deleteSubscriptionGroupHeader(groupName: string): Record<string, string> {
  return { groupName, cleanOffset: 'true' };
}
