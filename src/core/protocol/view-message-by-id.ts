/**
 * VIEW_MESSAGE_BY_ID (33): the stored record at one commit-log offset, asked of the broker an
 * offset message id names (Java: ViewMessageRequestHeader, QueryMessageProcessor
 * .viewMessageById; 4.9 and 5.x alike).
 *
 * Request extFields: offset int64 (the commit-log offset, from the id's last 8 bytes; sent as
 *   written, never through a Number).
 *
 * Response codes (VIEW_MESSAGE_BY_ID_ACCEPT): SUCCESS, the record in the body (message.ts);
 * SYSTEM_ERROR when nothing is stored at that offset.
 * An offset that is not the start of a record reads as garbage: the body decoder rejects it.
 */
import { ResponseCode } from '../remoting/codes.js';

export const VIEW_MESSAGE_BY_ID_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.SYSTEM_ERROR];

export function viewMessageByIdHeader(offset: bigint): Record<string, string> {
  return { offset: offset.toString() };
}
