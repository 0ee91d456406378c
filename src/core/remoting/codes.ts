/**
 * Request and response codes of the remoting protocol (RequestCode.java, ResponseCode.java,
 * RemotingSysResponseCode.java). Only the codes this client sends or must recognise are listed;
 * an unknown response code falls back to a generic entry rather than failing.
 */

export const RequestCode = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_MESSAGE: 12,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_ALL_TOPIC_CONFIG: 21,
  UPDATE_BROKER_CONFIG: 25,
  GET_BROKER_CONFIG: 26,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  CHECK_TRANSACTION_STATE: 39,
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  LOCK_BATCH_MQ: 41,
  UNLOCK_BATCH_MQ: 42,
  PUT_KV_CONFIG: 100,
  GET_KV_CONFIG: 101,
  DELETE_KV_CONFIG: 102,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  GET_ALL_SUBSCRIPTIONGROUP_CONFIG: 201,
  GET_TOPIC_STATS_INFO: 202,
  GET_CONSUMER_CONNECTION_LIST: 203,
  GET_PRODUCER_CONNECTION_LIST: 204,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  DELETE_SUBSCRIPTIONGROUP: 207,
  GET_CONSUME_STATS: 208,
  DELETE_TOPIC_IN_BROKER: 215,
  DELETE_TOPIC_IN_NAMESRV: 216,
  GET_KVLIST_BY_NAMESPACE: 219,
  RESET_CONSUMER_CLIENT_OFFSET: 220,
  GET_CONSUMER_STATUS_FROM_CLIENT: 221,
  INVOKE_BROKER_TO_RESET_OFFSET: 222,
  GET_CONSUMER_RUNNING_INFO: 307,
  CONSUME_MESSAGE_DIRECTLY: 309,
  SEND_MESSAGE_V2: 310,
  SEND_BATCH_MESSAGE: 320,
  UPDATE_NAMESRV_CONFIG: 318,
  GET_NAMESRV_CONFIG: 319,
  PUSH_REPLY_MESSAGE_TO_CLIENT: 326,
  QUERY_TOPIC_CONSUME_BY_WHO: 300,
  GET_TOPIC_CONFIG: 351,
} as const;

export const ResponseCode = {
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  SERVICE_NOT_AVAILABLE: 14,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  PULL_NOT_FOUND: 19,
  PULL_RETRY_IMMEDIATELY: 20,
  PULL_OFFSET_MOVED: 21,
  QUERY_NOT_FOUND: 22,
  SUBSCRIPTION_GROUP_NOT_EXIST: 26,
  NO_BUYER_ID: 204,
  NOT_IN_CURRENT_UNIT: 205,
  CONSUMER_NOT_ONLINE: 206,
  CONSUME_MSG_TIMEOUT: 207,
  GO_AWAY: 1500,
} as const;

export interface ResponseCodeInfo {
  name: string;
  /** Whether sending the same request again (possibly elsewhere) may succeed. */
  retriable: boolean;
  /** What the code means, in words a user can act on. */
  message: string;
}

const table: Record<number, ResponseCodeInfo> = {
  0: { name: 'SUCCESS', retriable: false, message: 'success' },
  1: { name: 'SYSTEM_ERROR', retriable: true, message: 'the server failed to process the request' },
  2: { name: 'SYSTEM_BUSY', retriable: true, message: 'the server is busy (flow control)' },
  3: {
    name: 'REQUEST_CODE_NOT_SUPPORTED',
    retriable: false,
    message: 'the server does not support this request',
  },
  4: { name: 'TRANSACTION_FAILED', retriable: false, message: 'transaction failed' },
  10: { name: 'FLUSH_DISK_TIMEOUT', retriable: false, message: 'stored, but flushing to disk timed out' },
  11: { name: 'SLAVE_NOT_AVAILABLE', retriable: false, message: 'stored, but no slave is available' },
  12: {
    name: 'FLUSH_SLAVE_TIMEOUT',
    retriable: false,
    message: 'stored, but replicating to the slave timed out',
  },
  13: {
    name: 'MESSAGE_ILLEGAL',
    retriable: false,
    message: 'the message is illegal (size, properties or timer)',
  },
  14: {
    name: 'SERVICE_NOT_AVAILABLE',
    retriable: true,
    message: 'service not available (disk full, slave, or shutting down)',
  },
  15: { name: 'VERSION_NOT_SUPPORTED', retriable: false, message: 'client version not supported' },
  16: { name: 'NO_PERMISSION', retriable: true, message: 'no permission' },
  17: { name: 'TOPIC_NOT_EXIST', retriable: true, message: 'topic does not exist' },
  18: { name: 'TOPIC_EXIST_ALREADY', retriable: false, message: 'topic exists already' },
  19: { name: 'PULL_NOT_FOUND', retriable: false, message: 'no new message' },
  20: { name: 'PULL_RETRY_IMMEDIATELY', retriable: false, message: 'no matched message' },
  21: { name: 'PULL_OFFSET_MOVED', retriable: false, message: 'offset illegal' },
  22: { name: 'QUERY_NOT_FOUND', retriable: false, message: 'not found' },
  23: {
    name: 'SUBSCRIPTION_PARSE_FAILED',
    retriable: false,
    message: 'the subscription expression is invalid',
  },
  24: { name: 'SUBSCRIPTION_NOT_EXIST', retriable: false, message: 'subscription does not exist' },
  25: { name: 'SUBSCRIPTION_NOT_LATEST', retriable: false, message: 'subscription is not the latest' },
  26: { name: 'SUBSCRIPTION_GROUP_NOT_EXIST', retriable: false, message: 'consumer group does not exist' },
  27: { name: 'FILTER_DATA_NOT_EXIST', retriable: false, message: 'filter data does not exist' },
  28: { name: 'FILTER_DATA_NOT_LATEST', retriable: false, message: 'filter data is not the latest' },
  29: { name: 'INVALID_PARAMETER', retriable: false, message: 'invalid parameter' },
  200: { name: 'TRANSACTION_SHOULD_COMMIT', retriable: false, message: 'transaction should commit' },
  201: { name: 'TRANSACTION_SHOULD_ROLLBACK', retriable: false, message: 'transaction should roll back' },
  202: { name: 'TRANSACTION_STATE_UNKNOW', retriable: false, message: 'transaction state unknown' },
  203: {
    name: 'TRANSACTION_STATE_GROUP_WRONG',
    retriable: false,
    message: 'transaction producer group is wrong',
  },
  204: { name: 'NO_BUYER_ID', retriable: true, message: 'no buyer id' },
  205: { name: 'NOT_IN_CURRENT_UNIT', retriable: true, message: 'not in current unit' },
  206: { name: 'CONSUMER_NOT_ONLINE', retriable: false, message: 'the consumer group is not online' },
  207: { name: 'CONSUME_MSG_TIMEOUT', retriable: false, message: 'consume message timeout' },
  208: { name: 'NO_MESSAGE', retriable: false, message: 'no message' },
  215: { name: 'FLOW_CONTROL', retriable: true, message: 'flow control' },
  501: { name: 'NOT_LEADER_FOR_QUEUE', retriable: true, message: 'not the leader for this queue' },
  604: { name: 'ILLEGAL_OPERATION', retriable: false, message: 'illegal operation' },
  1500: { name: 'GO_AWAY', retriable: true, message: 'the server is shutting down' },
  3001: { name: 'USER_NOT_EXIST', retriable: false, message: 'user does not exist' },
  3002: { name: 'POLICY_NOT_EXIST', retriable: false, message: 'ACL policy does not exist' },
};

export function responseCodeInfo(code: number): ResponseCodeInfo {
  return (
    table[code] ?? { name: `UNKNOWN_${code}`, retriable: false, message: `unknown response code ${code}` }
  );
}
